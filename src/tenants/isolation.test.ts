import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenantId } from '../db/scope.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const PW = 'a-strong-passphrase';
const A = 'tenant-a';
const B = 'tenant-b';

interface Op {
  method: string;
  path: string;
  secured: boolean;
}

/** Every operation of the served OpenAPI document. */
function operations(s: TestServer): Op[] {
  const doc = (
    s.app as unknown as {
      swagger(): { paths: Record<string, Record<string, { security?: unknown[] }>> };
    }
  ).swagger();
  const ops: Op[] = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      ops.push({ method: method.toUpperCase(), path, secured: Boolean(op.security?.length) });
    }
  return ops;
}

/**
 * Issue 11's isolation proof: for every route of the OpenAPI document,
 * tenant A's token and ids presented in tenant B are refused, on both
 * dialects. Unauthenticated routes are checked for what they could leak:
 * A's credentials, refresh token and keys are nothing in B.
 */
describe.each(dialects())('isolation between tenants, every route (%s)', (dialect) => {
  let s: TestServer;
  let tokenA: string;
  let refreshA: string;
  let adminA: string;
  let userIdA: string;
  let sessionIdA: string;
  let adminB: string;
  /** The default tenant's admin and one of its sessions: a tenant must not reach them either. */
  let rootId: string;
  let rootSid: string;
  const inB = (method: string, url: string, o: { token?: string; body?: unknown } = {}) =>
    s.call(method, url, { ...o, headers: { 'x-tessera-tenant': B } });
  const inA = (method: string, url: string, o: { token?: string; body?: unknown } = {}) =>
    s.call(method, url, { ...o, headers: { 'x-tessera-tenant': A } });

  beforeAll(async () => {
    s = await createTestServer({ dialect });
    const root = await s.adminToken();
    for (const [id, admin] of [
      [A, 'admin-a'],
      [B, 'admin-b'],
    ] as const) {
      const r = await s.call('POST', '/api/admin/tenants', {
        token: root,
        body: { id, name: id, admin_username: admin, admin_password: PW },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    const reg = await inA('POST', '/api/public/auth/register', {
      body: { username: 'amy', password: PW, email: 'amy@example.com' },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const login = await inA('POST', '/api/public/auth/login', {
      body: { username: 'amy', password: PW },
    });
    tokenA = login.data.data.access_token;
    refreshA = login.data.data.refresh_token;
    const claims = JSON.parse(Buffer.from(tokenA.split('.')[1]!, 'base64url').toString());
    userIdA = claims.sub;
    sessionIdA = claims.sid;
    adminA = (
      await inA('POST', '/api/public/auth/login', { body: { username: 'admin-a', password: PW } })
    ).data.data.access_token;
    adminB = (
      await inB('POST', '/api/public/auth/login', { body: { username: 'admin-b', password: PW } })
    ).data.data.access_token;
    const rc = JSON.parse(Buffer.from(root.split('.')[1]!, 'base64url').toString());
    rootId = rc.sub;
    rootSid = rc.sid;
    expect(asTenantId(A)).toBe(A);
  });
  afterAll(() => s?.close());

  it("every secured route refuses tenant A's tokens (user and admin) and ids in tenant B", async () => {
    const ops = operations(s).filter((o) => o.secured);
    expect(ops.length).toBeGreaterThan(20);
    const fill = (p: string, user: string, sid: string) =>
      p
        .replace(/\{id\}/g, user)
        .replace(/\{sid\}|\{sessionId\}|\{session_id\}/g, sid)
        .replace(/\{name\}/g, 'a-only')
        .replace(/\{[^}]+\}/g, '1');
    const leaks: string[] = [];
    const tryIt = async (op: Op, token: string, user: string, sid: string, who: string) => {
      const r = await inB(op.method, fill(op.path, user, sid), { token, body: {} });
      // 400: the body was refused before any lookup, nothing of A is said.
      if (![400, 401, 403, 404].includes(r.statusCode))
        leaks.push(`${who}: ${op.method} ${op.path}: ${r.statusCode} ${r.body.slice(0, 120)}`);
    };
    for (const op of ops) {
      // A's tokens in B, with A's ids.
      await tryIt(op, tokenA, userIdA, sessionIdA, "A's user token");
      await tryIt(op, adminA, userIdA, sessionIdA, "A's admin token");
      // B's own admin, with ids of A and of the default tenant.
      if (op.path.includes('{')) {
        await tryIt(op, adminB, userIdA, sessionIdA, "B's admin, A's ids");
        await tryIt(op, adminB, rootId, rootSid, "B's admin, the default tenant's ids");
      }
    }
    expect(leaks).toEqual([]);
  });

  it("the public routes give tenant B nothing of tenant A's: credentials, refresh token, keys", async () => {
    const login = await inB('POST', '/api/public/auth/login', {
      body: { username: 'amy', password: PW },
    });
    expect(login.statusCode).toBe(401);
    expect(login.data.error).toBe('INVALID_CREDENTIALS');
    const refresh = await inB('POST', '/api/public/auth/refresh', {
      body: { refresh_token: refreshA },
    });
    expect(refresh.statusCode).toBe(401);
    const jwksA = JSON.parse((await inA('GET', '/.well-known/jwks.json')).body).keys as {
      kid: string;
    }[];
    const jwksB = JSON.parse((await inB('GET', '/.well-known/jwks.json')).body).keys as {
      kid: string;
    }[];
    expect(jwksA.length).toBeGreaterThan(0);
    expect(jwksB.map((k) => k.kid).filter((k) => jwksA.some((a) => a.kid === k))).toEqual([]);
    // The customer-service routes refuse A's token in B too.
    for (const [method, url] of [
      ['GET', '/auth/validate'],
      ['GET', '/auth/online'],
      ['POST', '/auth/heartbeat'],
      ['POST', '/auth/logout'],
    ] as const) {
      const r = await inB(method, url, { token: tokenA });
      expect([401, 404], `${method} ${url}`).toContain(r.statusCode);
    }
    // And A's token still works in A: the refusals above are about the tenant, not the token.
    expect((await inA('GET', '/api/public/auth/me', { token: tokenA })).statusCode).toBe(200);
  });
});
