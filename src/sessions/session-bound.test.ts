import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { asTenantId } from '../db/scope.js';
import { randomId } from '../lib/crypto.js';
import { createSigner } from '../tokens/signer.js';
import type { AccessClaims } from '../tokens/claims.js';
import {
  createUser,
  expectError,
  me,
  outcome,
  uname,
  waitFor,
} from '../test-support/auth-helpers.js';
import { havePostgres, haveRedis, pgUrl } from '../test-support/services.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { TcpProxy } from '../test-support/tcp-proxy.js';

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as AccessClaims;

/** A token signed with the node's own active key, with some claims changed. */
function forge(s: TestServer, real: string, change: Partial<AccessClaims>): Promise<string> {
  const c = claimsOf(real);
  return createSigner(s.rt.keyring).sign({ ...c, jti: randomId(12), ...change });
}

const introspect = (s: TestServer, token: string) =>
  s.call('POST', '/api/service/introspect', {
    headers: { 'x-api-token': 'svc-token-for-session-bound-tests-0001' },
    body: { token },
  });

const dialects = ['sqlite', ...(havePostgres() ? ['postgres' as const] : [])] as const;

/**
 * Seed 002's chain: a validly signed access token is accepted only when its
 * `sid` is a live session of its `sub` in its tenant (issue 12, decision 0010).
 */
describe.each(dialects)('a token is accepted only inside its live session (%s)', (dialect) => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({
      dialect,
      config: { publicApiTokens: ['svc-token-for-session-bound-tests-0001'] },
    });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  it('a sid that names no session is refused, also by introspection', async () => {
    const name = uname('sb');
    await s.register(name);
    const t = await s.login(name);
    expect(await me(s, t.access_token)).toBe('OK');
    const forged = await forge(s, t.access_token, { sid: randomId(18) });
    expectError(
      await s.call('GET', '/api/public/auth/me', { token: forged }),
      401,
      'TOKEN_INVALID',
    );
    expect((await introspect(s, forged)).data.data).toEqual({ active: false });
    // A second try is answered from memory the same way.
    expect(await me(s, forged)).toBe('TOKEN_INVALID');
  });

  it("a token naming another user's session is refused; the owner's token still works", async () => {
    const [a, b] = [uname('sa'), uname('sb')];
    await s.register(a);
    await s.register(b);
    const ta = await s.login(a);
    const tb = await s.login(b);
    const forged = await forge(s, tb.access_token, { sid: claimsOf(ta.access_token).sid });
    expect(await me(s, forged)).toBe('TOKEN_INVALID');
    expect(await me(s, ta.access_token)).toBe('OK');
    expect(await me(s, tb.access_token)).toBe('OK');
  });

  it("a deleted user's tokens are refused, and so are tokens forged for its sessions", async () => {
    const name = uname('del');
    const id = await createUser(s, admin, { username: name });
    const t = await s.login(name);
    expect(await me(s, t.access_token)).toBe('OK');
    expect((await s.call('DELETE', `/api/admin/users/${id}`, { token: admin })).statusCode).toBe(
      200,
    );
    expect(await me(s, t.access_token)).toBe('SESSION_ENDED');
    // A fresh jti and iat on the dead session: the revocation of the sid still refuses it.
    expect(await me(s, await forge(s, t.access_token, {}))).toBe('SESSION_ENDED');
  });

  it("a token of one tenant naming another tenant's session is refused", async () => {
    const id = `sb-${dialect === 'sqlite' ? 'l' : 'p'}${Math.random().toString(36).slice(2, 6)}`;
    const pw = 'a-strong-passphrase';
    const created = await s.call('POST', '/api/admin/tenants', {
      token: admin,
      body: { id, name: 'Other', admin_username: 'head', admin_password: pw },
    });
    expect(created.statusCode, created.body).toBe(201);
    const headers = { 'x-tessera-tenant': id };
    const login = await s.call('POST', '/api/public/auth/login', {
      headers,
      body: { username: 'head', password: pw },
    });
    const theirs = login.data.data.access_token as string;
    const name = uname('td');
    await s.register(name);
    const ours = (await s.login(name)).access_token;
    // Signed with the other tenant's own key, carrying its tid, naming our session.
    const other = await s.rt.forTenant(asTenantId(id)!);
    const forged = await createSigner(other.keyring).sign({
      ...claimsOf(theirs),
      jti: randomId(12),
      sid: claimsOf(ours).sid,
      sub: claimsOf(ours).sub,
    });
    const r = await s.call('GET', '/api/public/auth/me', { token: forged, headers });
    expectError(r, 401, 'TOKEN_INVALID');
    expect(outcome(await s.call('GET', '/api/public/auth/me', { token: theirs, headers }))).toBe(
      'OK',
    );
    expect(await me(s, ours)).toBe('OK');
  });

  it('a session past its absolute end is refused even if nothing ended it yet', async () => {
    const name = uname('exp');
    await s.register(name);
    const t = await s.login(name);
    const sid = claimsOf(t.access_token).sid;
    s.rt.sessionTable.put(sid, {
      sub: claimsOf(t.access_token).sub,
      tenant: 'default',
      expiresAt: Date.now() - 1,
    });
    expect(await me(s, t.access_token)).toBe('SESSION_ENDED');
  });

  it('a session the node has not seen, when the store cannot answer: 503 UNAVAILABLE, never accepted', async () => {
    const name = uname('down');
    await s.register(name);
    const t = await s.login(name);
    const forged = await forge(s, t.access_token, { sid: randomId(18) });
    // The store's read fails as an unreachable database does (on PostgreSQL
    // the two-node suite below cuts the connection for real).
    const err = Object.assign(new Error('disk I/O error'), {
      code: dialect === 'sqlite' ? 'SQLITE_IOERR' : 'ECONNREFUSED',
    });
    const spy = vi.spyOn(s.rt.sessionTable, 'confirm').mockRejectedValue(err);
    try {
      const r = await s.call('GET', '/api/public/auth/me', { token: forged });
      expectError(r, 503, 'UNAVAILABLE');
      expect(r.headers['retry-after']).toBe('5');
      // A session the node holds keeps working without the store.
      expect(await me(s, t.access_token)).toBe('OK');
    } finally {
      spy.mockRestore();
    }
    expect(await me(s, forged)).toBe('TOKEN_INVALID');
  });
});

const multi = havePostgres() && haveRedis();

describe.skipIf(!multi)('two nodes: the session table learns from SQL, fails closed', () => {
  let a: TestServer;
  let b: TestServer;
  let proxy: TcpProxy;
  let admin: string;
  beforeAll(async () => {
    const u = new URL(pgUrl!);
    proxy = await new TcpProxy(u.hostname, Number(u.port || 5432)).start();
    const viaProxy = new URL(pgUrl!);
    viaProxy.port = String(proxy.port);
    a = await createTestServer({ dialect: 'postgres', redis: true });
    // B reaches the database through the proxy, so the test can cut it off alone.
    b = await createTestServer({
      dialect: 'postgres',
      redis: true,
      join: a.shared,
      pgUrl: viaProxy.toString(),
    });
    admin = await a.adminToken();
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await proxy?.close();
  });

  it('a token issued on A is accepted on B after one read; forged ones are refused on B', async () => {
    const [x, y] = [uname('nx'), uname('ny')];
    await a.register(x);
    await a.register(y);
    const tx = await a.login(x);
    const ty = await a.login(y);
    const before = b.rt.sessionTable.size().live;
    expect(await me(b, tx.access_token)).toBe('OK');
    expect(b.rt.sessionTable.size().live).toBe(before + 1);
    expect(await me(b, await forge(b, tx.access_token, { sid: randomId(18) }))).toBe(
      'TOKEN_INVALID',
    );
    const other = await forge(b, ty.access_token, { sid: claimsOf(tx.access_token).sid });
    expect(await me(b, other)).toBe('TOKEN_INVALID');
    expect(await me(b, ty.access_token)).toBe('OK');
  });

  it("a deleted user's token is refused on B, whether B had seen it or not", async () => {
    const [seen, unseen] = [uname('ds'), uname('du')];
    const idSeen = await createUser(a, admin, { username: seen });
    await createUser(a, admin, { username: unseen });
    const ts = await a.login(seen);
    const tu = await a.login(unseen);
    expect(await me(b, ts.access_token)).toBe('OK');
    expect(
      (await a.call('DELETE', `/api/admin/users/${idSeen}`, { token: admin })).statusCode,
    ).toBe(200);
    await waitFor(async () => (await me(b, ts.access_token)) === 'SESSION_ENDED', 1000);
    // Rows removed without any event (a restore, a manual purge): B reads the session once.
    await sql`delete from users where username = ${unseen}`.execute(a.rt.db.kysely);
    expect(await me(b, tu.access_token)).toBe('TOKEN_INVALID');
  });

  it('B cut off from PostgreSQL: unseen sessions answer 503, seen ones keep working, nothing forged passes', async () => {
    const [x, y] = [uname('cx'), uname('cy')];
    await a.register(x);
    await a.register(y);
    const seen = await a.login(x);
    const unseen = await a.login(y);
    expect(await me(b, seen.access_token)).toBe('OK');
    await proxy.cut();
    try {
      const r = await b.call('GET', '/api/public/auth/me', { token: unseen.access_token });
      expectError(r, 503, 'UNAVAILABLE');
      expectError(
        await b.call('GET', '/api/public/auth/me', {
          token: await forge(b, seen.access_token, { sid: randomId(18) }),
        }),
        503,
        'UNAVAILABLE',
      );
      expect(await me(b, seen.access_token)).toBe('OK');
    } finally {
      await proxy.restore();
    }
    await waitFor(async () => (await me(b, unseen.access_token)) === 'OK', 5000);
  });
});
