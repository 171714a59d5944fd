import { expect, it } from 'vitest';
import { createTestServer } from '../server.js';

// Run only by log-guard.test.ts, through leak.vitest.config.ts: a test that leaks a token.
it('logs a refresh token (the setup file must fail this test)', async () => {
  const s = await createTestServer();
  try {
    await s.register('leaker', 'leaker-passphrase-7');
    const t = await s.login('leaker', 'leaker-passphrase-7');
    s.rt.log.info({ note: t.refresh_token }, 'a careless line');
    expect(t.refresh_token).toBeTruthy();
  } finally {
    await s.close();
  }
});
