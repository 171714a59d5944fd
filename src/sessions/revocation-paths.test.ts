import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory.js';
import { createUser, expectError, me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { createRevocationList } from './revocation.js';

const PW = 'a-strong-passphrase';
const decode = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as {
    sid: string;
    jti: string;
    sub: string;
    exp: number;
  };

/** Issue 4: every way a session or token ends refuses its access token on the very next request. */
describe.each(dialects())('revocation paths (%s)', (dialect) => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  async function user(): Promise<{ name: string; id: number }> {
    const name = uname('rv');
    return { name, id: await createUser(s, admin, { username: name }) };
  }

  it('logout', async () => {
    const { name } = await user();
    const t = await s.login(name);
    expect(
      (await s.call('POST', '/api/public/auth/logout', { token: t.access_token })).statusCode,
    ).toBe(200);
    expect(await me(s, t.access_token)).toBe('SESSION_ENDED');
    expectError(
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: t.refresh_token },
      }),
      401,
      'SESSION_ENDED',
    );
  });

  it("DELETE /api/auth/sessions/:id ends one session; someone else's answers 404", async () => {
    const { name } = await user();
    const a = await s.login(name);
    const b = await s.login(name);
    const sidA = decode(a.access_token).sid;
    const other = await user();
    const stranger = await s.login(other.name);
    expectError(
      await s.call('DELETE', `/api/auth/sessions/${sidA}`, { token: stranger.access_token }),
      404,
      'NOT_FOUND',
    );
    expect(await me(s, a.access_token)).toBe('OK');
    expect(
      (await s.call('DELETE', `/api/auth/sessions/${sidA}`, { token: b.access_token })).statusCode,
    ).toBe(200);
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual([
      'SESSION_ENDED',
      'OK',
    ]);
    expectError(
      await s.call('DELETE', `/api/auth/sessions/${sidA}`, { token: b.access_token }),
      404,
      'NOT_FOUND',
    );
  });

  it('logout-all ends every session of the caller, its own included', async () => {
    const { name } = await user();
    const a = await s.login(name);
    const b = await s.login(name);
    const r = await s.call('POST', '/api/auth/logout-all', { token: b.access_token });
    expect(r.data.data).toEqual({ ended: 2 });
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual([
      'SESSION_ENDED',
      'SESSION_ENDED',
    ]);
  });

  it('admin force logout of a user, and of one session', async () => {
    const { name, id } = await user();
    const a = await s.login(name);
    const b = await s.login(name);
    const c = await s.login(name);
    const one = await s.call('DELETE', `/api/admin/sessions/${decode(a.access_token).sid}`, {
      token: admin,
    });
    expect(one.statusCode).toBe(200);
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual([
      'SESSION_ENDED',
      'OK',
    ]);
    const all = await s.call('POST', `/api/admin/users/${id}/logout`, { token: admin });
    expect(all.data.data).toEqual({ ended: 2 });
    expect([await me(s, b.access_token), await me(s, c.access_token)]).toEqual([
      'SESSION_ENDED',
      'SESSION_ENDED',
    ]);
    expectError(
      await s.call('DELETE', `/api/admin/sessions/${decode(a.access_token).sid}`, { token: admin }),
      404,
      'NOT_FOUND',
    );
  });

  it('jti denylist refuses that one token only', async () => {
    const { name } = await user();
    const t = await s.login(name);
    const { jti, exp } = decode(t.access_token);
    expect(
      (await s.call('POST', '/api/admin/denylist', { token: admin, body: { jti, exp } }))
        .statusCode,
    ).toBe(200);
    expect(await me(s, t.access_token)).toBe('TOKEN_REVOKED');
    // The session lives on: a refreshed token works.
    const r = await s.call('POST', '/api/public/auth/refresh', {
      body: { refresh_token: t.refresh_token },
    });
    expect(await me(s, r.data.data.access_token)).toBe('OK');
  });

  it('concurrent revocations of the same token all succeed', async () => {
    const { name } = await user();
    const t = await s.login(name);
    const { jti } = decode(t.access_token);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        s.call('POST', '/api/admin/denylist', { token: admin, body: { jti } }),
      ),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await me(s, t.access_token)).toBe('TOKEN_REVOKED');
  });

  it('revoking an id again keeps the later end and cut-off in SQL', async () => {
    const now = Date.now();
    const rv = s.rt.revocations;
    await rv.revoke({
      kind: 'user',
      value: 'u-merge',
      notBefore: now + 2000,
      expiresAt: now + 100_000,
    });
    await rv.revoke({
      kind: 'user',
      value: 'u-merge',
      notBefore: now + 1000,
      expiresAt: now + 50_000,
    });
    const row = await s.rt.db.kysely
      .selectFrom('revocations')
      .selectAll()
      .where('id', '=', 'user:u-merge')
      .executeTakeFirstOrThrow();
    expect({ nb: Number(row.not_before), exp: Number(row.expires_at) }).toEqual({
      nb: now + 2000,
      exp: now + 100_000,
    });
  });

  it('password change ends the other sessions and keeps the current one', async () => {
    const { name } = await user();
    const a = await s.login(name);
    const b = await s.login(name);
    const bad = await s.call('POST', '/api/auth/password', {
      token: b.access_token,
      body: { current_password: 'wrong-one', new_password: 'another-strong-pass' },
    });
    expectError(bad, 401, 'INVALID_CREDENTIALS');
    expect(await me(s, a.access_token)).toBe('OK');
    const ok = await s.call('POST', '/api/auth/password', {
      token: b.access_token,
      body: { current_password: PW, new_password: 'another-strong-pass' },
    });
    expect(ok.statusCode).toBe(200);
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual([
      'SESSION_ENDED',
      'OK',
    ]);
    expectError(
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: a.refresh_token },
      }),
      401,
      'SESSION_ENDED',
    );
    expect(await me(s, (await s.login(name, 'another-strong-pass')).access_token)).toBe('OK');
  });

  it('admin disable ends every session and refuses new logins', async () => {
    const { name, id } = await user();
    const a = await s.login(name);
    const b = await s.login(name);
    expect(
      (
        await s.call('PATCH', `/api/admin/users/${id}`, {
          token: admin,
          body: { status: 'disabled' },
        })
      ).statusCode,
    ).toBe(200);
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual([
      'SESSION_ENDED',
      'SESSION_ENDED',
    ]);
    expectError(
      await s.call('POST', '/api/public/auth/login', { body: { username: name, password: PW } }),
      403,
      'ACCOUNT_DISABLED',
    );
    expectError(
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: b.refresh_token },
      }),
      401,
      'SESSION_ENDED',
    );
  });

  it('refresh-token reuse ends the whole session', async () => {
    const { name } = await user();
    const t = await s.login(name);
    const r1 = await s.call('POST', '/api/public/auth/refresh', {
      body: { refresh_token: t.refresh_token },
    });
    expect(r1.statusCode).toBe(200);
    const fresh = r1.data.data as { access_token: string; refresh_token: string };
    expect(await me(s, fresh.access_token)).toBe('OK');
    expectError(
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: t.refresh_token },
      }),
      401,
      'TOKEN_REVOKED',
    );
    expect([await me(s, t.access_token), await me(s, fresh.access_token)]).toEqual([
      'SESSION_ENDED',
      'SESSION_ENDED',
    ]);
    expectError(
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: fresh.refresh_token },
      }),
      401,
      'SESSION_ENDED',
    );
  });

  it('a revocation survives a restart: a fresh in-memory set rebuilt from SQL refuses the token', async () => {
    const { name } = await user();
    const t = await s.login(name);
    const denied = await s.login(name);
    await s.call('POST', '/api/public/auth/logout', { token: t.access_token });
    const c = decode(denied.access_token);
    await s.call('POST', '/api/admin/denylist', { token: admin, body: { jti: c.jti } });
    const fresh = createRevocationList(s.rt.db.kysely, createMemoryBus(), s.rt.clock, {
      dialect: s.rt.db.dialect,
    });
    await fresh.start();
    try {
      const a = decode(t.access_token);
      const iat = Math.floor(s.rt.clock.now() / 1000);
      expect(fresh.check(a.sid, a.jti, a.sub, iat)).toBe('SESSION_ENDED');
      expect(fresh.check(c.sid, c.jti, c.sub, iat)).toBe('TOKEN_REVOKED');
      expect(fresh.check('other-sid', 'other-jti', c.sub, iat)).toBeNull();
    } finally {
      fresh.stop();
    }
  });
});
