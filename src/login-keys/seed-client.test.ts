import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import AuthService from '../test-support/seed001-auth-service.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { MemoryStorage } from '../test-support/memory-storage.js';

/**
 * Seed 001's own AuthService client (jsencrypt, PKCS#1 v1.5), unchanged,
 * against a listening Tessera: encrypted login, plain login, register,
 * refresh, me, logout, and its automatic retry on KEY_EXPIRED.
 * @see issue 3
 */
describe('the seed-001 AuthService client works unchanged', () => {
  let s: TestServer;
  let base: string;
  const clock = new ManualClock(Date.now());
  const g = globalThis as unknown as { localStorage: MemoryStorage };

  beforeAll(async () => {
    g.localStorage = new MemoryStorage();
    s = await createTestServer({ clock, config: { rsaKeyPoolSize: 12 } });
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = s.app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api`;
    // Let the pool fill: on a loaded machine a 2048-bit pair can take a second.
    const keys = s.rt.features.loginKeys!;
    for (let i = 0; i < 600 && keys.stats().pool.size < 10; i++)
      await new Promise((r) => setTimeout(r, 100));
  }, 90_000);
  afterAll(() => s.close());
  beforeEach(() => g.localStorage.clear());

  it('register, encrypted login, me, refresh, logout', async () => {
    const client = new AuthService(base);
    await client.register('seeduser', 'seeduser@example.com', 'password-for-seed', '13800138000');
    const tokens = await client.loginEncrypted('seeduser', 'password-for-seed');
    expect(tokens.token_type).toBe('Bearer');
    expect(g.localStorage.getItem('access_token')).toBe(tokens.access_token);
    const me = await client.getCurrentUser();
    expect(me).toMatchObject({ username: 'seeduser', authorities: ['ROLE_USER'] });
    const again = await client.refreshToken();
    expect(again.access_token).not.toBe(tokens.access_token);
    await client.logout();
    expect(g.localStorage.getItem('access_token')).toBeNull();
    const stale = await fetch(`${base}/public/auth/me`, {
      headers: { authorization: `Bearer ${again.access_token}` },
    });
    expect(stale.status).toBe(401);
  });

  it('a wrong password is refused with INVALID_CREDENTIALS in the message', async () => {
    const client = new AuthService(base);
    await expect(client.loginEncrypted('seeduser', 'not-the-password')).rejects.toThrow(
      /INVALID_CREDENTIALS/,
    );
  });

  it('plain login still works (backward compatible)', async () => {
    const client = new AuthService(base);
    const t = await client.loginPlain('seeduser', 'password-for-seed');
    expect(t.access_token).toBeTruthy();
  });

  it('retries once by itself when the server says KEY_EXPIRED', async () => {
    const client = new AuthService(base);
    await client.getPublicKey();
    // The client's own clock still thinks the key is fresh; the server's does not.
    clock.advance(301_000);
    const t = await client.loginEncrypted('seeduser', 'password-for-seed');
    expect(t.access_token).toBeTruthy();
  });

  it('a replayed ciphertext is refused: KEY_NOT_FOUND', async () => {
    const keyRes = (await (
      await fetch(`${base}/public/auth/public-key`, { headers: { 'X-Session-Id': 'replay-1' } })
    ).json()) as { data: { public_key: string; key_id: string } };
    const { createRequire } = await import('node:module');
    const JSEncrypt = createRequire(import.meta.url)('jsencrypt');
    const enc = new JSEncrypt();
    enc.setPublicKey(keyRes.data.public_key);
    const body = JSON.stringify({
      username: 'seeduser',
      encryptedPassword: enc.encrypt('password-for-seed'),
      keyId: keyRes.data.key_id,
    });
    const post = () =>
      fetch(`${base}/public/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then((r) => r.json() as Promise<{ code: number; error?: string; message: string }>);
    expect((await post()).code).toBe(200);
    const replay = await post();
    expect(replay).toMatchObject({ code: 401, error: 'KEY_NOT_FOUND' });
    expect(replay.message).toMatch(/^KEY_NOT_FOUND: /);
  });
});
