import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, expectError, me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

/** Issue 4: login policy per user type (multi with a cap / single / reject), changeable at run time. */
describe.each(dialects())('login policy (%s)', (dialect) => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({
      dialect,
      config: { loginPolicy: 'kefu=single,guard=reject,*=multi' },
    });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  it('multi: the 11th login ends the oldest session (cap 10 by default)', async () => {
    const name = uname('multi');
    await s.register(name);
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) tokens.push((await s.login(name)).access_token);
    for (const t of tokens) expect(await me(s, t)).toBe('OK');
    const eleventh = (await s.login(name)).access_token;
    expect(await me(s, tokens[0]!)).toBe('SESSION_ENDED');
    for (const t of [...tokens.slice(1), eleventh]) expect(await me(s, t)).toBe('OK');
    const list = await s.call('GET', '/api/auth/sessions', { token: eleventh });
    expect(list.data.data).toHaveLength(10);
    expect(list.data.data.filter((x: { current: boolean }) => x.current)).toHaveLength(1);
  });

  it('single (per user type): a new login ends every older session', async () => {
    const name = uname('kefu');
    await createUser(s, admin, { username: name, user_type: 'kefu' });
    const a = await s.login(name);
    const b = await s.login(name);
    expect(await me(s, a.access_token)).toBe('SESSION_ENDED');
    expect(await me(s, b.access_token)).toBe('OK');
    // The ended session's refresh token is dead too.
    expectError(
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: a.refresh_token },
      }),
      401,
      'SESSION_ENDED',
    );
    const c = await s.login(name);
    expect(await me(s, b.access_token)).toBe('SESSION_ENDED');
    expect(await me(s, c.access_token)).toBe('OK');
  });

  it('reject: a second login is refused while the first is alive, allowed after logout', async () => {
    const name = uname('guard');
    await createUser(s, admin, { username: name, user_type: 'guard' });
    const first = await s.login(name);
    const second = await s.call('POST', '/api/public/auth/login', {
      body: { username: name, password: 'a-strong-passphrase' },
    });
    expectError(second, 409, 'LOGIN_REJECTED');
    expect(await me(s, first.access_token)).toBe('OK');
    expect(
      (await s.call('POST', '/api/public/auth/logout', { token: first.access_token })).statusCode,
    ).toBe(200);
    const third = await s.login(name);
    expect(await me(s, third.access_token)).toBe('OK');
    expect(await me(s, first.access_token)).toBe('SESSION_ENDED');
  });

  it('concurrent logins respect the policy: reject lets one in, single leaves one alive, the cap holds', async () => {
    const body = (username: string) => ({ body: { username, password: 'a-strong-passphrase' } });
    const guard = uname('cg');
    await createUser(s, admin, { username: guard, user_type: 'guard' });
    const g = await Promise.all(
      Array.from({ length: 5 }, () => s.call('POST', '/api/public/auth/login', body(guard))),
    );
    expect(g.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409]);

    const kefu = uname('ck');
    await createUser(s, admin, { username: kefu, user_type: 'kefu' });
    const k = await Promise.all(
      Array.from({ length: 5 }, () => s.call('POST', '/api/public/auth/login', body(kefu))),
    );
    const alive = await Promise.all(k.map((r) => me(s, r.data.data.access_token)));
    expect(alive.filter((x) => x === 'OK')).toHaveLength(1);

    const many = uname('cm');
    await s.register(many);
    const m = await Promise.all(
      Array.from({ length: 14 }, () => s.call('POST', '/api/public/auth/login', body(many))),
    );
    const live = await Promise.all(m.map((r) => me(s, r.data.data.access_token)));
    expect(live.filter((x) => x === 'OK')).toHaveLength(10);
  });

  it('other user types keep the default (multi) while kefu is single', async () => {
    const name = uname('plain');
    await createUser(s, admin, { username: name, user_type: 'staff' });
    const a = await s.login(name);
    const b = await s.login(name);
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual(['OK', 'OK']);
  });

  it('a policy changed at run time (PATCH /api/admin/settings) applies to the next login', async () => {
    const name = uname('flex');
    await createUser(s, admin, { username: name, user_type: 'flex' });
    const a = await s.login(name);
    const b = await s.login(name);
    const patch = await s.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { loginPolicy: 'flex=single,kefu=single,guard=reject,*=multi' },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.data.data.loginPolicy).toContain('flex=single');
    const c = await s.login(name);
    expect([
      await me(s, a.access_token),
      await me(s, b.access_token),
      await me(s, c.access_token),
    ]).toEqual(['SESSION_ENDED', 'SESSION_ENDED', 'OK']);

    await s.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { loginPolicy: 'flex=reject,*=multi' },
    });
    expectError(
      await s.call('POST', '/api/public/auth/login', {
        body: { username: name, password: 'a-strong-passphrase' },
      }),
      409,
      'LOGIN_REJECTED',
    );

    const restored = await s.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { loginPolicy: null },
    });
    expect(restored.data.data.loginPolicy).toBe('kefu=single,guard=reject,*=multi');
    const d = await s.login(name);
    expect([await me(s, c.access_token), await me(s, d.access_token)]).toEqual(['OK', 'OK']);
  });

  it('the per-user cap changed at run time applies to the next login', async () => {
    const name = uname('cap');
    await s.register(name);
    const t1 = (await s.login(name)).access_token;
    const t2 = (await s.login(name)).access_token;
    const t3 = (await s.login(name)).access_token;
    expect(
      (await s.call('PATCH', '/api/admin/settings', { token: admin, body: { maxSessions: 2 } }))
        .statusCode,
    ).toBe(200);
    try {
      const t4 = (await s.login(name)).access_token;
      // Cap 2: the new session plus the newest one survive.
      expect([await me(s, t1), await me(s, t2), await me(s, t3), await me(s, t4)]).toEqual([
        'SESSION_ENDED',
        'SESSION_ENDED',
        'OK',
        'OK',
      ]);
    } finally {
      await s.call('PATCH', '/api/admin/settings', { token: admin, body: { maxSessions: null } });
    }
  });
});
