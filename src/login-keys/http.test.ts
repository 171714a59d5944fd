import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { haveRedis, havePostgres } from '../test-support/services.js';

const JSEncrypt = createRequire(import.meta.url)('jsencrypt') as new () => {
  setPublicKey(k: string): void;
  encrypt(s: string): string | false;
};
const jsencrypt = (pem: string, pw: string) => {
  const e = new JSEncrypt();
  e.setPublicKey(pem);
  return e.encrypt(pw) as string;
};

async function oaep(pem: string, pw: string, label?: string): Promise<string> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const key = await webcrypto.subtle.importKey(
    'spki',
    der,
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['encrypt'],
  );
  const ct = await webcrypto.subtle.encrypt(
    { name: 'RSA-OAEP', ...(label ? { label: new TextEncoder().encode(label) } : {}) },
    key,
    new TextEncoder().encode(pw),
  );
  return Buffer.from(ct).toString('base64');
}

async function warm(s: TestServer, n: number): Promise<void> {
  const keys = s.rt.features.loginKeys!;
  for (let i = 0; i < 600 && keys.stats().pool.size < n; i++)
    await new Promise((r) => setTimeout(r, 100));
}

const PW = 'encrypted-login-pw';
/** A public key; like a polite client, waits out 503 + Retry-After while the pool refills (slow on a loaded machine). */
async function key(s: TestServer, query = '', sid = `sid-${Math.random()}`) {
  for (let i = 0; ; i++) {
    const r = await s.call('GET', `/api/public/auth/public-key${query}`, {
      headers: { 'x-session-id': sid },
    });
    if (r.statusCode !== 503 || i > 60) return r.data.data;
    await new Promise((res) => setTimeout(res, 1000));
  }
}
// Each test logs in as its own user: failed attempts of one must not trigger the captcha of another.
const login = (s: TestServer, body: Record<string, unknown>, username = 'crypt') =>
  s.call('POST', '/api/public/auth/login', { body: { username, ...body } });

/** Encrypted login over HTTP. @see issue 3 */
describe('encrypted login over HTTP (embedded)', () => {
  let s: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    s = await createTestServer({ clock, config: { rsaKeyPoolSize: 8 } });
    for (const u of ['crypt', 'crypt-expiry', 'crypt-race', 'crypt-oaep']) await s.register(u, PW);
    await warm(s, 6);
  }, 90_000);
  afterAll(() => s.close());

  it('PKCS#1 v1.5 (jsencrypt) and OAEP-SHA-256 (WebCrypto) on a one-time key', async () => {
    const k1 = await key(s);
    expect(k1).toMatchObject({
      algorithm: 'RSA',
      key_id: expect.any(String),
      expires_at: expect.any(Number),
    });
    expect(k1.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(
      (await login(s, { encryptedPassword: jsencrypt(k1.public_key, PW), keyId: k1.key_id }))
        .statusCode,
    ).toBe(200);
    const k2 = await key(s);
    expect(
      (await login(s, { encryptedPassword: await oaep(k2.public_key, PW), keyId: k2.key_id }))
        .statusCode,
    ).toBe(200);
  });

  it('shared-key OAEP mode: the key id is the label; a replay under another key id fails', async () => {
    const a = await key(s, '?alg=RSA-OAEP-256');
    expect(a.label).toBe(a.key_id);
    const ct = await oaep(a.public_key, PW, a.label);
    expect(
      (await login(s, { encryptedPassword: ct, keyId: a.key_id }, 'crypt-oaep')).statusCode,
    ).toBe(200);
    const b = await key(s, '?alg=RSA-OAEP-256');
    expect(b.public_key).toBe(a.public_key);
    const replay = await login(s, { encryptedPassword: ct, keyId: b.key_id }, 'crypt-oaep');
    expect(replay.data.error).toBe('INVALID_CREDENTIALS');
  });

  it('replay of one ciphertext and key id: KEY_NOT_FOUND; an undecryptable one: INVALID_CREDENTIALS, like a wrong password', async () => {
    const k = await key(s);
    const body = { encryptedPassword: jsencrypt(k.public_key, PW), keyId: k.key_id };
    expect((await login(s, body)).statusCode).toBe(200);
    const again = await login(s, body);
    expect(again.statusCode).toBe(401);
    expect(again.data.error).toBe('KEY_NOT_FOUND');
    const k2 = await key(s);
    const garbage = await login(s, {
      encryptedPassword: Buffer.alloc(256, 7).toString('base64'),
      keyId: k2.key_id,
    });
    const wrong = await login(s, { password: 'wrong-password-here' });
    expect(garbage.statusCode).toBe(401);
    expect(garbage.data).toEqual(wrong.data);
  });

  it('an expired key: KEY_EXPIRED', async () => {
    const k = await key(s);
    clock.advance(301_000);
    const r = await login(
      s,
      { encryptedPassword: jsencrypt(k.public_key, PW), keyId: k.key_id },
      'crypt-expiry',
    );
    expect(r.statusCode).toBe(401);
    expect(r.data.error).toBe('KEY_EXPIRED');
    expect(r.data.message).toMatch(/^KEY_EXPIRED: /);
  });

  it('the same session id gets the same unused key back', async () => {
    const a = await key(s, '', 'same-session');
    const b = await key(s, '', 'same-session');
    expect(b.key_id).toBe(a.key_id);
  });

  it('50 concurrent logins racing on one key id: exactly one decryption', async () => {
    const k = await key(s);
    const body = { encryptedPassword: jsencrypt(k.public_key, PW), keyId: k.key_id };
    const rs = await Promise.all(Array.from({ length: 50 }, () => login(s, body, 'crypt-race')));
    expect(rs.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(rs.filter((r) => r.data.error === 'KEY_NOT_FOUND')).toHaveLength(49);
  });

  it('a bad X-Session-Id or alg is VALIDATION_FAILED', async () => {
    expect(
      (
        await s.call('GET', '/api/public/auth/public-key', {
          headers: { 'x-session-id': 'x'.repeat(200) },
        })
      ).data.error,
    ).toBe('VALIDATION_FAILED');
    expect((await s.call('GET', '/api/public/auth/public-key?alg=none')).data.error).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('encrypted only (TESSERA_PLAIN_LOGIN=0)', () => {
  it('refuses a plain password, accepts an encrypted one', async () => {
    const s = await createTestServer({ config: { plainLogin: false, rsaKeyPoolSize: 3 } });
    try {
      await s.register('crypt', PW);
      const plain = await login(s, { password: PW });
      expect(plain.statusCode).toBe(400);
      expect(plain.data.error).toBe('VALIDATION_FAILED');
      await warm(s, 1);
      const k = await key(s);
      expect(
        (await login(s, { encryptedPassword: jsencrypt(k.public_key, PW), keyId: k.key_id }))
          .statusCode,
      ).toBe(200);
    } finally {
      await s.close();
    }
  }, 90_000);
});

/** A key issued by one node is consumed on another, once. @see issue 3 §5 */
describe.runIf(haveRedis() && havePostgres())(
  'encrypted login across two nodes (PostgreSQL + Redis)',
  () => {
    let a: TestServer;
    let b: TestServer;
    beforeAll(async () => {
      a = await createTestServer({
        dialect: 'postgres',
        redis: true,
        config: { rsaKeyPoolSize: 4 },
      });
      b = await createTestServer({
        dialect: 'postgres',
        redis: true,
        join: a.shared,
        config: { rsaKeyPoolSize: 4 },
      });
      await a.register('crypt', PW);
      await warm(a, 2);
    }, 90_000);
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('issued on A, used on B; the replay on A fails', async () => {
      const k = await key(a);
      const body = { encryptedPassword: jsencrypt(k.public_key, PW), keyId: k.key_id };
      expect((await login(b, body)).statusCode).toBe(200);
      expect((await login(a, body)).data.error).toBe('KEY_NOT_FOUND');
    });

    it('racing on both nodes: exactly one decryption', async () => {
      const k = await key(a);
      const body = { encryptedPassword: jsencrypt(k.public_key, PW), keyId: k.key_id };
      const rs = await Promise.all(
        Array.from({ length: 20 }, (_, i) => login(i % 2 ? a : b, body)),
      );
      expect(rs.filter((r) => r.statusCode === 200)).toHaveLength(1);
    });
  },
);
