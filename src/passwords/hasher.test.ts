import { hash as bcryptHash } from '@node-rs/bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { createPasswordHasher, isBcrypt } from './hasher.js';
import { passwordProblem } from './policy.js';

describe('password hasher', () => {
  const h = createPasswordHasher();

  it('hashes with argon2id at OWASP parameters and verifies', async () => {
    const stored = await h.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await h.verify(stored, 'correct horse battery staple')).toBe(true);
    expect(await h.verify(stored, 'correct horse battery stapl')).toBe(false);
    expect(h.needsRehash(stored)).toBe(false);
  });

  it('verifies imported bcrypt hashes and asks for a rehash', async () => {
    const stored = await bcryptHash('imported-password', 4);
    expect(isBcrypt(stored)).toBe(true);
    expect(await h.verify(stored, 'imported-password')).toBe(true);
    expect(await h.verify(stored, 'imported-passwordX')).toBe(false);
    expect(h.needsRehash(stored)).toBe(true);
  });

  it('never lets a bcrypt hash accept a password by its first 72 bytes only', async () => {
    const long = 'x'.repeat(72) + 'the-rest-matters';
    const stored = await bcryptHash(long, 4);
    // bcrypt itself would accept any suffix; Tessera refuses > 72 bytes outright.
    expect(await h.verify(stored, 'x'.repeat(72))).toBe(false);
    expect(await h.verify(stored, 'x'.repeat(72) + 'something-else')).toBe(false);
    expect(await h.verify(stored, long)).toBe(false);
  });

  it('never throws on a malformed stored hash', async () => {
    for (const bad of ['', 'plain', '$argon2id$broken', '$2b$10$short'])
      expect(await h.verify(bad, 'whatever1')).toBe(false);
  });

  it('password policy: length 8..128 in characters, not common, not the username', () => {
    expect(passwordProblem('1234567')).toMatch(/at least 8/);
    expect(passwordProblem('密码密码密码密码')).toBeNull();
    expect(passwordProblem('é'.repeat(128))).toBeNull();
    expect(passwordProblem('é'.repeat(129))).toMatch(/at most 128/);
    expect(passwordProblem('Password123')).toMatch(/common/);
    expect(passwordProblem('iloveyou1')).toMatch(/common/);
    expect(passwordProblem('someusername', 'SomeUsername')).toMatch(/differ/);
  });
});

/** Users imported from the seed systems (bcrypt) log in and are moved to argon2id. @see issue 2 §4 */
describe.each(dialects())('bcrypt import and rehash on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
  });
  afterAll(() => s.close());

  it('logs in with the bcrypt hash, then stores argon2id', async () => {
    await s.register('legacy');
    const k = s.rt.db.kysely;
    await k
      .updateTable('users')
      .set({ password_hash: await bcryptHash('legacy-secret-pw', 4) })
      .where('username_key', '=', 'legacy')
      .execute();
    const t = await s.login('legacy', 'legacy-secret-pw');
    expect(t.access_token).toBeTruthy();
    let stored = '';
    for (let i = 0; i < 50 && !stored.startsWith('$argon2id'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      stored = (
        await k
          .selectFrom('users')
          .select('password_hash')
          .where('username_key', '=', 'legacy')
          .executeTakeFirstOrThrow()
      ).password_hash;
    }
    expect(stored).toMatch(/^\$argon2id\$/);
    expect((await s.login('legacy', 'legacy-secret-pw')).access_token).toBeTruthy();
    const wrong = await s.call('POST', '/api/public/auth/login', {
      body: { username: 'legacy', password: 'legacy-secret-px' },
    });
    expect(wrong.statusCode).toBe(401);
  });
});
