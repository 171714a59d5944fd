import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, me, uname, waitFor } from '../test-support/auth-helpers.js';
import { havePostgres, haveRedis } from '../test-support/services.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as {
    sid: string;
    jti: string;
  };
const multi = havePostgres() && haveRedis();

/**
 * Issue 4 "instant revocation" across nodes: two in-process nodes on one
 * PostgreSQL schema and one Redis prefix. Each revocation must reach the
 * other node within 1 s (the bus normally takes a few milliseconds).
 */
describe.skipIf(!multi)('two nodes sharing PostgreSQL and Redis', () => {
  let a: TestServer;
  let b: TestServer;
  let admin: string;
  const late: TestServer[] = [];
  beforeAll(async () => {
    a = await createTestServer({
      dialect: 'postgres',
      redis: true,
      config: { loginPolicy: 'kefu=single,*=multi' },
    });
    // B does not poll SQL: what reaches it here comes by the bus (or the resync).
    b = await createTestServer({
      dialect: 'postgres',
      redis: true,
      join: a.shared,
      config: { loginPolicy: 'kefu=single,*=multi', revocationPollMs: 0 },
    });
    admin = await a.adminToken();
  });
  afterAll(async () => {
    for (const n of late) await n.close();
    await b?.close();
    await a?.close();
  });

  const refusedOn = (n: TestServer, token: string, code: string) =>
    waitFor(async () => (await me(n, token)) === code, 1000);

  it('logout on A: the token fails on B within 1 s', async () => {
    const name = uname('mn');
    await a.register(name);
    const t = await a.login(name);
    expect(await me(b, t.access_token)).toBe('OK');
    await a.call('POST', '/api/public/auth/logout', { token: t.access_token });
    expect(await refusedOn(b, t.access_token, 'SESSION_ENDED')).toBeLessThan(1000);
  });

  it('kick by login policy on B, admin force logout and denylist on A: refused on the other node', async () => {
    const name = uname('kf');
    const id = await createUser(a, admin, { username: name, user_type: 'kefu' });
    const first = await a.login(name);
    expect(await me(b, first.access_token)).toBe('OK');
    const second = await b.login(name);
    await refusedOn(a, first.access_token, 'SESSION_ENDED');

    const denied = claimsOf(second.access_token).jti;
    await a.call('POST', '/api/admin/denylist', { token: admin, body: { jti: denied } });
    await refusedOn(b, second.access_token, 'TOKEN_REVOKED');

    const third = (
      await b.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: second.refresh_token },
      })
    ).data.data;
    expect(await me(a, third.access_token)).toBe('OK');
    await a.call('POST', `/api/admin/users/${id}/logout`, { token: admin });
    await refusedOn(b, third.access_token, 'SESSION_ENDED');
  });

  it('role assignment on A: the old token fails on B, a token refreshed on B works there', async () => {
    await a.call('PUT', '/api/admin/roles/reader', {
      token: admin,
      body: { level: 20, permissions: ['users:read'] },
    });
    const name = uname('rl');
    const id = await createUser(a, admin, { username: name });
    const t = await b.login(name);
    await a.call('PUT', `/api/admin/users/${id}/roles`, {
      token: admin,
      body: { roles: ['user', 'reader'] },
    });
    await refusedOn(b, t.access_token, 'TOKEN_REVOKED');
    const fresh = (
      await b.call('POST', '/api/public/auth/refresh', { body: { refresh_token: t.refresh_token } })
    ).data.data;
    expect(
      (await b.call('GET', '/api/admin/users', { token: fresh.access_token })).statusCode,
    ).toBe(200);
    expect(
      (await a.call('GET', '/api/admin/users', { token: fresh.access_token })).statusCode,
    ).toBe(200);
  });

  it('a settings change on A applies on B within 1 s', async () => {
    const patch = await a.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { maxSessions: 2, loginPolicy: 'flex=single,kefu=single,*=multi' },
    });
    expect(patch.statusCode).toBe(200);
    try {
      await waitFor(
        () =>
          b.rt.settings.get().maxSessions === 2 &&
          b.rt.settings.get().loginPolicy.includes('flex=single'),
        1000,
      );
      const name = uname('fx');
      await createUser(a, admin, { username: name, user_type: 'flex' });
      const x = await a.login(name);
      const y = await b.login(name);
      await refusedOn(a, x.access_token, 'SESSION_ENDED');
      expect(await me(a, y.access_token)).toBe('OK');
    } finally {
      await a.call('PATCH', '/api/admin/settings', {
        token: admin,
        body: { maxSessions: null, loginPolicy: null },
      });
    }
    await waitFor(() => b.rt.settings.get().maxSessions === 10, 1000);
  });

  it('a node that joins after the revocations refuses the revoked tokens at once', async () => {
    const name = uname('lt');
    await a.register(name);
    const out = await a.login(name);
    const denied = await a.login(name);
    const alive = await a.login(name);
    await a.call('POST', '/api/public/auth/logout', { token: out.access_token });
    await a.call('POST', '/api/admin/denylist', {
      token: admin,
      body: { jti: claimsOf(denied.access_token).jti },
    });
    const c = await createTestServer({ dialect: 'postgres', redis: true, join: a.shared });
    late.push(c);
    expect([
      await me(c, out.access_token),
      await me(c, denied.access_token),
      await me(c, alive.access_token),
    ]).toEqual(['SESSION_ENDED', 'TOKEN_REVOKED', 'OK']);
    // And it hears the next one over the bus.
    await b.call('POST', '/api/public/auth/logout', { token: alive.access_token });
    await refusedOn(c, alive.access_token, 'SESSION_ENDED');
  });

  it('the SQL rebuild run on a bus resync picks up a revocation whose message was missed', async () => {
    const name = uname('rs');
    await a.register(name);
    const t = await a.login(name);
    expect(await me(b, t.access_token)).toBe('OK');
    // Simulate a message B never received: end the session on A's SQL without publishing.
    await a.rt.db.kysely
      .insertInto('revocations')
      .values({
        id: `sid:${claimsOf(t.access_token).sid}`,
        kind: 'sid',
        value: claimsOf(t.access_token).sid,
        not_before: null,
        expires_at: Date.now() + 60_000,
        created_at: Date.now(),
        changed_at: Date.now(),
      })
      .execute();
    expect(await me(b, t.access_token)).toBe('OK');
    await b.rt.revocations.load(); // what the Redis bus' onResync triggers after a reconnect
    expect(await me(b, t.access_token)).toBe('SESSION_ENDED');
  });
});
