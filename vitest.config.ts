import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const verify = (f: string) => fileURLToPath(new URL(`./packages/verify/src/${f}`, import.meta.url));

export default defineConfig({
  // The verifier's examples import it by its published name (docs/verify.md runs them).
  resolve: {
    alias: [
      { find: '@tessera-auth/verify/express', replacement: verify('express.ts') },
      { find: '@tessera-auth/verify/fastify', replacement: verify('fastify.ts') },
      { find: '@tessera-auth/verify/hono', replacement: verify('hono.ts') },
      { find: /^@tessera-auth\/verify$/, replacement: verify('index.ts') },
    ],
  },
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
