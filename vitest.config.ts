import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real servers and worker threads: files run in parallel processes.
    pool: 'forks',
    reporters: ['default', './vitest.summary.ts'],
  },
});
