import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAuthGuards } from '../http/auth.js';
import { installErrorHandling } from '../http/error-handler.js';
import { createUser, expectError, outcome, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

/** Issue 4 RBAC: role/level/scope claims, ROLE_* authorities, custom roles granting permissions. */
describe.each(dialects())('RBAC (%s)', (dialect) => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  it('claims and /me: admin and plain user', async () => {
    expect(claimsOf(admin)).toMatchObject({ role: 'admin', level: 100, roles: ['admin', 'user'] });
    expect(String(claimsOf(admin).scope).split(' ')).toEqual(
      expect.arrayContaining(['users:read', 'settings:write', 'keys:write']),
    );
    expect(
      (await s.call('GET', '/api/public/auth/me', { token: admin })).data.data.authorities,
    ).toEqual(['ROLE_ADMIN', 'ROLE_USER']);
    const name = uname('plain');
    await s.register(name);
    const t = (await s.login(name)).access_token;
    expect(claimsOf(t)).toMatchObject({ role: 'user', level: 10, roles: ['user'] });
    expect(String(claimsOf(t).scope).split(' ').sort()).toEqual(['presence:read', 'profile:read']);
    const me = (await s.call('GET', '/api/public/auth/me', { token: t })).data.data;
    expect(me).toMatchObject({
      username: name,
      authorities: ['ROLE_USER'],
      role: 'user',
      level: 10,
    });
  });

  it('a custom role granting users:read works once assigned; the old token is refused, a refreshed one works', async () => {
    const put = await s.call('PUT', '/api/admin/roles/auditor', {
      token: admin,
      body: { level: 50, description: 'reads users', permissions: ['users:read'] },
    });
    expect(put.statusCode).toBe(200);
    expect(put.data.data).toMatchObject({
      name: 'auditor',
      level: 50,
      permissions: ['users:read'],
    });
    const name = uname('aud');
    const id = await createUser(s, admin, { username: name });
    const before = await s.login(name);
    expectError(
      await s.call('GET', '/api/admin/users', { token: before.access_token }),
      403,
      'FORBIDDEN',
    );

    const assigned = await s.call('PUT', `/api/admin/users/${id}/roles`, {
      token: admin,
      body: { roles: ['user', 'auditor'] },
    });
    expect(assigned.data.data.roles.sort()).toEqual(['auditor', 'user']);
    expectError(
      await s.call('GET', '/api/public/auth/me', { token: before.access_token }),
      401,
      'TOKEN_REVOKED',
    );

    const r = await s.call('POST', '/api/public/auth/refresh', {
      body: { refresh_token: before.refresh_token },
    });
    expect(r.statusCode).toBe(200);
    const after = r.data.data.access_token as string;
    expect(claimsOf(after)).toMatchObject({ role: 'auditor', level: 50 });
    const me = await s.call('GET', '/api/public/auth/me', { token: after });
    expect(me.statusCode).toBe(200);
    expect(me.data.data.authorities.sort()).toEqual(['ROLE_AUDITOR', 'ROLE_USER']);
    expect((await s.call('GET', '/api/admin/users', { token: after })).statusCode).toBe(200);
    expectError(
      await s.call('POST', '/api/admin/users', {
        token: after,
        body: { username: uname('x'), password: 'a-strong-passphrase' },
      }),
      403,
      'FORBIDDEN',
    );

    // Role definitions are read at request time: taking the permission away applies at once.
    await s.call('PUT', '/api/admin/roles/auditor', {
      token: admin,
      body: { level: 50, permissions: [] },
    });
    expectError(await s.call('GET', '/api/admin/users', { token: after }), 403, 'FORBIDDEN');
    await s.call('PUT', '/api/admin/roles/auditor', {
      token: admin,
      body: { level: 50, permissions: ['users:read'] },
    });
    expect((await s.call('GET', '/api/admin/users', { token: after })).statusCode).toBe(200);
    expect((await s.call('DELETE', '/api/admin/roles/auditor', { token: admin })).statusCode).toBe(
      200,
    );
    expectError(await s.call('GET', '/api/admin/users', { token: after }), 401, 'TOKEN_REVOKED');
    // A role re-created under the same name does not empower tokens that named the old one.
    await s.call('PUT', '/api/admin/roles/auditor', {
      token: admin,
      body: { level: 50, permissions: ['users:read', 'users:write'] },
    });
    expectError(await s.call('GET', '/api/admin/users', { token: after }), 401, 'TOKEN_REVOKED');
    const again = (
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: r.data.data.refresh_token },
      })
    ).data.data;
    expect(claimsOf(again.access_token).roles).toEqual(['user']);
    expectError(
      await s.call('GET', '/api/admin/users', { token: again.access_token }),
      403,
      'FORBIDDEN',
    );
    await s.call('DELETE', '/api/admin/roles/auditor', { token: admin });
  });

  it('a token refreshed right after a role change works, even within the same second', async () => {
    const name = uname('fast');
    const id = await createUser(s, admin, { username: name });
    for (let i = 0; i < 3; i++) {
      const t = await s.login(name);
      await s.call('PUT', `/api/admin/users/${id}/roles`, {
        token: admin,
        body: { roles: i % 2 ? ['user'] : ['user', 'admin'] },
      });
      expect(outcome(await s.call('GET', '/api/public/auth/me', { token: t.access_token }))).toBe(
        'TOKEN_REVOKED',
      );
      const r = await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: t.refresh_token },
      });
      expect(
        outcome(await s.call('GET', '/api/public/auth/me', { token: r.data.data.access_token })),
      ).toBe('OK');
    }
  });

  it('role admin: unknown role → 400, built-in roles cannot be deleted, admin keeps every permission', async () => {
    const id = await createUser(s, admin, { username: uname('r') });
    expectError(
      await s.call('PUT', `/api/admin/users/${id}/roles`, {
        token: admin,
        body: { roles: ['nope'] },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await s.call('DELETE', '/api/admin/roles/admin', { token: admin }),
      409,
      'CONFLICT',
    );
    expectError(await s.call('DELETE', '/api/admin/roles/user', { token: admin }), 409, 'CONFLICT');
    expectError(
      await s.call('PUT', '/api/admin/roles/admin', {
        token: admin,
        body: { level: 100, permissions: ['users:read'] },
      }),
      409,
      'CONFLICT',
    );
    expectError(
      await s.call('PUT', '/api/admin/roles/bad', {
        token: admin,
        body: { level: 1, permissions: ['not a permission'] },
      }),
      400,
      'VALIDATION_FAILED',
    );
    const roles = await s.call('GET', '/api/admin/roles', { token: admin });
    expect(roles.data.data.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['admin', 'user']),
    );
  });

  it('routes may require a minimum level (seed 003 tiers)', async () => {
    const app = Fastify();
    installErrorHandling(app);
    installAuthGuards(app, {
      authenticator: s.rt.authenticator,
      roles: s.rt.roles,
      publicApiTokens: [],
      publicTokenPaths: [],
    });
    app.get('/tier', { config: { auth: 'jwt', minLevel: 50 } }, async () => ({ ok: true }));
    app.get(
      '/both',
      { config: { auth: 'jwt', minLevel: 10, requires: ['users:read', 'users:write'] } },
      async () => ({ ok: true }),
    );
    await app.ready();
    try {
      const name = uname('lvl');
      await s.register(name);
      const plain = (await s.login(name)).access_token;
      const get = (url: string, t: string) =>
        app.inject({ url, headers: { authorization: `Bearer ${t}` } });
      expect((await get('/tier', plain)).statusCode).toBe(403);
      expect((await get('/tier', admin)).statusCode).toBe(200);
      expect((await get('/both', plain)).statusCode).toBe(403);
      expect((await get('/both', admin)).statusCode).toBe(200);
      // Levels, like permissions, come from the role definitions in force.
      await s.call('PUT', '/api/admin/roles/tier', {
        token: admin,
        body: { level: 60, permissions: [] },
      });
      const id = Number(claimsOf(plain).sub);
      await s.call('PUT', `/api/admin/users/${id}/roles`, {
        token: admin,
        body: { roles: ['user', 'tier'] },
      });
      const tiered = (await s.login(name)).access_token;
      expect((await get('/tier', tiered)).statusCode).toBe(200);
      await s.call('PUT', '/api/admin/roles/tier', {
        token: admin,
        body: { level: 40, permissions: [] },
      });
      expect((await get('/tier', tiered)).statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });
});
