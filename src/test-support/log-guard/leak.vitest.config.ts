import { defineConfig } from 'vitest/config';

/** The log guard's failing run (log-guard.test.ts): one test that leaks, under the same setup. */
export default defineConfig({
  test: {
    include: ['src/test-support/log-guard/leak.fixture.ts'],
    setupFiles: ['src/test-support/log-guard/setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
