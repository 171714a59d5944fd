import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { checkUsername } from './identity.js';

describe('username canonical form', () => {
  it('folds fullwidth, compatibility forms and case to one key', () => {
    const keys = ['Alice', 'alice', 'ALICE', 'Ａｌｉｃｅ', 'ａｌｉｃｅ'].map((n) => {
      const r = checkUsername(n);
      if (!r.ok) throw new Error(r.problem);
      return r.key;
    });
    expect(new Set(keys)).toEqual(new Set(['alice']));
    const lig = checkUsername('ﬁnance');
    expect(lig.ok && lig.key).toBe('finance');
  });

  it('folds composed and decomposed accents to one key', () => {
    const composed = checkUsername('Jos\u00e9');
    const decomposed = checkUsername('Jose\u0301');
    expect(composed.ok && decomposed.ok && composed.key === decomposed.key).toBe(true);
  });

  it('refuses control, invisible and mixed-script look-alikes', () => {
    for (const bad of [
      'ad\u200bmin',
      'adm\u0000in',
      'a\u202eb\u202cc',
      '\u0430dmin',
      'pаypal',
      'x\ny',
      'ab',
      'a'.repeat(65),
      'has space',
    ]) {
      expect(checkUsername(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('accepts Chinese and e-mail style names', () => {
    expect(checkUsername('客服001').ok).toBe(true);
    expect(checkUsername('user@example.com').ok).toBe(true);
    expect(checkUsername('Ιωάννης').ok).toBe(true);
  });
});

/** @see issue 2 §4: look-alike duplicates cannot be registered, on both dialects. */
describe.each(dialects())('look-alike registration on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
  });
  afterAll(() => s.close());

  it('a fullwidth or differently-cased twin is USER_EXISTS, and logs into the same account', async () => {
    await s.register('Zelda');
    let i = 0;
    for (const twin of ['zelda', 'ZELDA', 'Ｚｅｌｄａ']) {
      const r = await s.call('POST', '/api/public/auth/register', {
        body: { username: twin, email: `twin${i++}@example.com`, password: 'a-strong-passphrase' },
      });
      expect(r.statusCode, twin).toBe(409);
      expect(r.data.error).toBe('USER_EXISTS');
    }
    const t = await s.login('ＺＥＬＤＡ');
    const me = await s.call('GET', '/api/public/auth/me', { token: t.access_token });
    expect(me.data.data.username).toBe('Zelda');
  });

  it('an e-mail already used (any case) is USER_EXISTS', async () => {
    await s.register('mailer', 'a-strong-passphrase', 'Shared@Example.com');
    const r = await s.call('POST', '/api/public/auth/register', {
      body: { username: 'mailer2', email: 'shared@EXAMPLE.com', password: 'a-strong-passphrase' },
    });
    expect(r.statusCode).toBe(409);
  });

  it('self-registration cannot choose a user type or roles', async () => {
    const r = await s.call('POST', '/api/public/auth/register', {
      body: {
        username: 'sneaky',
        email: 'sneaky@example.com',
        password: 'a-strong-passphrase',
        user_type: 'kefu',
        roles: ['admin'],
      },
    });
    expect(r.statusCode).toBe(201);
    const t = await s.login('sneaky');
    const me = await s.call('GET', '/api/public/auth/me', { token: t.access_token });
    expect(me.data.data).toMatchObject({ user_type: 'user', authorities: ['ROLE_USER'] });
  });
});
