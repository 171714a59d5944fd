import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'packages/**/src/**/*.test.ts'],
    // Every log line of every app the tests build is checked for secrets (decision 0021).
    setupFiles: ['src/test-support/log-guard/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real servers and worker threads: files run in parallel processes.
    pool: 'forks',
    reporters: ['default', './vitest.summary.ts'],
  },
});
