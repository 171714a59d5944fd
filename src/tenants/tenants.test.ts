import { constants, publicEncrypt } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenantId } from '../db/scope.js';
import { waitFor } from '../test-support/auth-helpers.js';
import { baseUrl, connect } from '../presence/ws-client.test-support.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { havePostgres, haveRedis } from '../test-support/services.js';

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
const ACME = asTenantId('acme')!;
const BETA = asTenantId('beta')!;
const PW = 'a-strong-passphrase';

/** A call in a tenant, by header. */
function inTenant(s: TestServer, tenant: string | undefined) {
  const headers: Record<string, string> = tenant ? { 'x-tessera-tenant': tenant } : {};
  return {
    call: (method: string, url: string, opts: { body?: unknown; token?: string } = {}) =>
      s.call(method, url, { ...opts, headers }),
    async register(username: string) {
      const r = await s.call('POST', '/api/public/auth/register', {
        body: { username, password: PW, email: `${username}@example.com` },
        headers,
      });
      expect(r.statusCode, r.body).toBe(201);
    },
    async login(username: string) {
      const r = await s.call('POST', '/api/public/auth/login', {
        body: { username, password: PW },
        headers,
      });
      expect(r.statusCode, r.body).toBe(200);
      return r.data.data as { access_token: string; refresh_token: string };
    },
  };
}

describe.each(dialects())('tenants (%s)', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ dialect, config: { rsaKeyPerIpPerMinute: 1000 } });
    await s.rt.tenants.create(ACME, 'Acme Kindergarten');
    await s.rt.tenants.create(BETA, 'Beta');
  });
  afterAll(() => s?.close());

  it('the same username lives in two tenants; each logs in only where it was registered', async () => {
    const acme = inTenant(s, 'acme');
    const beta = inTenant(s, 'beta');
    await acme.register('alice');
    await inTenant(s, undefined).register('alice');
    const r = await beta.call('POST', '/api/public/auth/login', {
      body: { username: 'alice', password: PW },
    });
    expect(r.statusCode).toBe(401);
    expect(r.data.error).toBe('INVALID_CREDENTIALS');
    const a = await acme.login('alice');
    const d = await inTenant(s, undefined).login('alice');
    expect(claimsOf(a.access_token)).toMatchObject({ tid: 'acme' });
    expect(String(claimsOf(a.access_token).iss)).toMatch(/\/t\/acme$/);
    expect(claimsOf(d.access_token)).toMatchObject({ tid: 'default' });
    expect(claimsOf(d.access_token).iss).toBe(s.config.issuer);
    expect(claimsOf(a.access_token).sub).not.toBe(claimsOf(d.access_token).sub);
  });

  it("a tenant's token is refused by every other tenant, and accepted by its own", async () => {
    const acme = inTenant(s, 'acme');
    await acme.register('bob');
    const { access_token, refresh_token } = await acme.login('bob');
    const me = (t: string | undefined) =>
      inTenant(s, t).call('GET', '/api/public/auth/me', { token: access_token });
    expect((await me('acme')).statusCode).toBe(200);
    for (const other of [undefined, 'beta']) {
      const r = await me(other);
      expect(r.statusCode).toBe(401);
      expect(r.data.error).toBe('TOKEN_INVALID');
    }
    // Its refresh token is nothing to another tenant either.
    const r = await inTenant(s, 'beta').call('POST', '/api/public/auth/refresh', {
      body: { refresh_token },
    });
    expect(r.statusCode).toBe(401);
    // The path prefix names the tenant as well as the header.
    const p = await s.call('GET', '/t/acme/api/public/auth/me', { token: access_token });
    expect(p.statusCode, p.body).toBe(200);
    expect(p.data.data.username).toBe('bob');
    const q = await s.call('GET', '/t/beta/api/public/auth/me', { token: access_token });
    expect(q.statusCode).toBe(401);
  });

  it('encrypted login works in a tenant; a key issued in one tenant is unknown in another', async () => {
    // The test node's key pool is small: wait for a pair while it refills (503 + Retry-After).
    const key = async (path: string, t?: string) => {
      let r = await inTenant(s, t).call('GET', path);
      await waitFor(async () => {
        if (r.statusCode === 503) r = await inTenant(s, t).call('GET', path);
        return r.statusCode !== 503;
      }, 10_000);
      expect(r.statusCode, r.body).toBe(200);
      return r.data.data as { key_id: string; public_key: string };
    };
    const encrypt = (pem: string) =>
      publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(PW)).toString(
        'base64',
      );
    const login = (
      t: string | undefined,
      k: { key_id: string; public_key: string },
      path = '/api/public/auth/login',
    ) =>
      inTenant(s, t).call('POST', path, {
        body: { username: 'alice', encryptedPassword: encrypt(k.public_key), keyId: k.key_id },
      });
    // In the tenant, by header and by path prefix.
    const k1 = await key('/api/public/auth/public-key', 'acme');
    expect((await login('acme', k1)).statusCode).toBe(200);
    const k2 = await key('/t/acme/api/public/auth/public-key');
    const viaPath = await s.call('POST', '/t/acme/api/public/auth/login', {
      body: { username: 'alice', encryptedPassword: encrypt(k2.public_key), keyId: k2.key_id },
    });
    expect(viaPath.statusCode, viaPath.body).toBe(200);
    expect(claimsOf(viaPath.data.data.access_token).tid).toBe('acme');
    // A key of acme presented in the default tenant (where alice also exists) is unknown there.
    const k3 = await key('/api/public/auth/public-key', 'acme');
    const cross = await login(undefined, k3);
    expect(cross.statusCode).toBe(401);
    expect(cross.data.error).toBe('KEY_NOT_FOUND');
  });

  it('an unknown, malformed or disabled tenant answers 404 TENANT_NOT_FOUND before anything else', async () => {
    for (const t of ['nope', 'Not-A-Tenant', 'x'.repeat(70)]) {
      const r = await inTenant(s, t).call('POST', '/api/public/auth/login', {
        body: { username: 'alice', password: PW },
      });
      expect(r.statusCode, t).toBe(404);
      expect(r.data.error).toBe('TENANT_NOT_FOUND');
      expect(r.data.message).toMatch(/^TENANT_NOT_FOUND: /);
    }
    const gone = asTenantId('gone')!;
    await s.rt.tenants.create(gone, 'Gone');
    await inTenant(s, 'gone').register('carol');
    const { access_token } = await inTenant(s, 'gone').login('carol');
    await s.rt.tenants.update(gone, { status: 'disabled' });
    const r = await inTenant(s, 'gone').call('GET', '/api/public/auth/me', { token: access_token });
    expect(r.statusCode).toBe(404);
    expect(r.data.error).toBe('TENANT_NOT_FOUND');
  });

  it("the deployment's own routes are no tenant's: asked in a tenant they answer 404", async () => {
    for (const url of ['/metrics', '/readyz', '/openapi.json']) {
      const r = await inTenant(s, 'acme').call('GET', url);
      expect(r.statusCode, url).toBe(404);
    }
    // The caller's own sessions, in its own tenant.
    const { access_token } = await inTenant(s, 'acme').login('alice');
    const mine = await inTenant(s, 'acme').call('GET', '/api/auth/sessions', {
      token: access_token,
    });
    expect(mine.statusCode).toBe(200);
    expect(mine.data.data.length).toBeGreaterThan(0);
  });

  it("presence: a tenant's online list holds its own users only", async () => {
    const acme = inTenant(s, 'acme');
    const def = inTenant(s, undefined);
    const a = (await acme.login('alice')).access_token;
    const d = (await def.login('alice')).access_token;
    expect((await acme.call('POST', '/api/auth/heartbeat', { token: a })).statusCode).toBe(200);
    expect((await def.call('POST', '/api/auth/heartbeat', { token: d })).statusCode).toBe(200);
    const listed = async (t: string | undefined, token: string) => {
      const r = await inTenant(s, t).call('GET', '/api/auth/online', { token });
      expect(r.statusCode, r.body).toBe(200);
      return (r.data.data.users as { user_id: string }[]).map((u) => u.user_id);
    };
    const subA = String(claimsOf(a).sub);
    const subD = String(claimsOf(d).sub);
    expect(await listed('acme', a)).toEqual([subA]);
    expect(await listed(undefined, d)).toEqual([subD]);
    // The customer-service route answers the same.
    const cs = await acme.call('GET', '/auth/online', { token: a });
    expect(cs.statusCode, cs.body).toBe(200);
    expect(JSON.stringify(cs.data)).toContain(subA);
    expect(JSON.stringify(cs.data)).not.toContain(`"${subD}"`);
  });

  it("the WebSocket: a tenant's token opens /ws in its tenant only, and its frames stay in it", async () => {
    const host = await baseUrl(s.app);
    await inTenant(s, 'acme').register('watcher');
    const watcher = (await inTenant(s, 'acme').login('watcher')).access_token;
    const dWatcher = (await inTenant(s, undefined).login('alice')).access_token;
    // Refused in another tenant by the upgrade's own check (a plain GET runs it too; in its own
    // tenant the token passes and the route asks for the upgrade).
    const plain = (url: string) => s.call('GET', `${url}?jwt_token=${watcher}`);
    expect((await plain('/ws')).statusCode).toBe(401);
    expect((await plain('/t/beta/ws')).statusCode).toBe(401);
    expect((await plain('/t/nope/ws')).data.error).toBe('TENANT_NOT_FOUND');
    expect((await plain('/t/acme/ws')).data.error).toBe('VALIDATION_FAILED');
    const inAcme = await connect(`ws://${host}/t/acme/ws?jwt_token=${watcher}`);
    const inDefault = await connect(`ws://${host}/ws?jwt_token=${dWatcher}`);
    try {
      // bob comes online in acme: acme's watcher hears it, the default tenant's does not.
      const bob = (await inTenant(s, 'acme').login('bob')).access_token;
      const bobSub = String(claimsOf(bob).sub);
      const bobWs = await connect(`ws://${host}/ws?jwt_token=${bob}`, {
        headers: { 'x-tessera-tenant': 'acme' },
      });
      await inAcme.next(
        (f) => f.type === 'presence' && f.user_id === bobSub && f.status === 'online',
      );
      bobWs.ws.close();
      await inAcme.next(
        (f) => f.type === 'presence' && f.user_id === bobSub && f.status === 'offline',
      );
      expect(inDefault.frames.filter((f) => f.user_id === bobSub)).toEqual([]);
    } finally {
      inAcme.ws.terminate();
      inDefault.ws.terminate();
    }
  });

  it('each tenant has its own signing keys and JWKS', async () => {
    const d = await s.call('GET', '/.well-known/jwks.json');
    const a = await s.call('GET', '/t/acme/.well-known/jwks.json');
    expect(d.statusCode).toBe(200);
    expect(a.statusCode).toBe(200);
    const kids = (r: typeof d) => (JSON.parse(r.body).keys as { kid: string }[]).map((k) => k.kid);
    expect(kids(a).length).toBeGreaterThan(0);
    expect(kids(a).filter((k) => kids(d).includes(k))).toEqual([]);
    const { access_token } = await inTenant(s, 'acme').login('alice');
    const kid = JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString()).kid;
    expect(kids(a)).toContain(kid);
  });

  it("a tenant's rows carry its id: users, sessions, refresh tokens, keys and audit", async () => {
    const k = s.rt.sql.all('the test reads every tenant');
    // The anomaly detector serves every tenant: its known devices are the tenant's too.
    await waitFor(async () => {
      const r = await sql<{
        n: number | string;
      }>`select count(*) as n from known_devices where tenant_id = 'acme'`.execute(k);
      return Number(r.rows[0]!.n) > 0;
    }, 2000);
    for (const table of [
      'users',
      'sessions',
      'refresh_tokens',
      'signing_keys',
      'audit_events',
      'known_devices',
    ]) {
      const rows = await sql<{ tenant_id: string }>`select distinct tenant_id from ${sql.table(
        table,
      )}`.execute(k);
      expect(rows.rows.map((r) => r.tenant_id).sort(), table).toEqual(
        expect.arrayContaining(['acme', 'default']),
      );
    }
    const audit = await sql<{ event: string; username: string | null }>`
      select event, username from audit_events where tenant_id = 'acme' and event = 'login.success'`.execute(
      k,
    );
    expect(audit.rows.some((r) => r.username === 'bob')).toBe(true);
  });

  it("brute-force: a tenant's own thresholds, and its own count of an account's failures", async () => {
    const acme = await s.rt.forTenant(ACME);
    await acme.settings.update({ captchaAfterFailures: 1 });
    try {
      const wrong = (t: string | undefined) =>
        inTenant(s, t).call('POST', '/api/public/auth/login', {
          body: { username: 'alice', password: 'not-the-password' },
        });
      expect((await wrong('acme')).data.error).toBe('INVALID_CREDENTIALS');
      // One failure is acme's threshold: a captcha now; the default tenant's alice is untouched.
      expect((await wrong('acme')).data.error).toBe('CAPTCHA_REQUIRED');
      expect((await wrong(undefined)).data.error).toBe('INVALID_CREDENTIALS');
      expect((await wrong(undefined)).data.error).toBe('INVALID_CREDENTIALS');
    } finally {
      await acme.settings.update({ captchaAfterFailures: null });
    }
  });

  it("a tenant's settings fall back to the deployment's, and its own override wins", async () => {
    const acme = await s.rt.forTenant(ACME);
    const base = s.rt.settings.get().accessTokenTtl;
    expect(acme.settings.get().accessTokenTtl).toBe(base);
    await acme.settings.update({ accessTokenTtl: 300 });
    expect(acme.settings.get().accessTokenTtl).toBe(300);
    expect(s.rt.settings.get().accessTokenTtl).toBe(base);
    const { access_token } = await inTenant(s, 'acme').login('alice');
    const c = claimsOf(access_token) as { exp: number; iat: number };
    expect(c.exp - c.iat).toBe(300);
    // A deployment change reaches a tenant that does not override it.
    const beta = await s.rt.forTenant(BETA);
    await s.rt.settings.update({ maxSessions: 7 });
    await waitFor(() => beta.settings.get().maxSessions === 7, 1000);
    await s.rt.settings.update({ maxSessions: null });
    await acme.settings.update({ accessTokenTtl: null });
  });
});

const multi = havePostgres() && haveRedis();

describe.skipIf(!multi)('tenants on two nodes sharing PostgreSQL and Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await createTestServer({ dialect: 'postgres', redis: true });
    b = await createTestServer({
      dialect: 'postgres',
      redis: true,
      join: a.shared,
      config: { revocationPollMs: 0 },
    });
    await a.rt.tenants.create(ACME, 'Acme');
    await waitFor(() => b.rt.tenants.active('acme') === 'acme', 1000);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("a tenant's logout on node A is refused on node B within 1 s", async () => {
    await inTenant(a, 'acme').register('dora');
    const { access_token } = await inTenant(a, 'acme').login('dora');
    const onB = () =>
      inTenant(b, 'acme').call('GET', '/api/public/auth/me', { token: access_token });
    expect((await onB()).statusCode).toBe(200);
    const out = await inTenant(a, 'acme').call('POST', '/api/public/auth/logout', {
      token: access_token,
    });
    expect(out.statusCode).toBe(200);
    const t0 = Date.now();
    await waitFor(async () => (await onB()).statusCode === 401, 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("a tenant's policy change on node A is in force on node B within 1 s", async () => {
    const onA = await a.rt.forTenant(ACME);
    const onB = await b.rt.forTenant(ACME);
    await onA.settings.update({ accessTokenTtl: 240 });
    await waitFor(() => onB.settings.get().accessTokenTtl === 240, 1000);
    const { access_token } = await inTenant(b, 'acme').login('dora');
    const c = claimsOf(access_token) as { exp: number; iat: number };
    expect(c.exp - c.iat).toBe(240);
    // The default tenant is untouched.
    expect(b.rt.settings.get().accessTokenTtl).not.toBe(240);
  });

  it('a tenant disabled on node A answers TENANT_NOT_FOUND on node B within 1 s', async () => {
    await a.rt.tenants.update(ACME, { status: 'disabled' });
    await waitFor(
      async () =>
        (await inTenant(b, 'acme').call('POST', '/api/public/auth/login', { body: {} }))
          .statusCode === 404,
      1000,
    );
  });
});

describe.each(dialects())('tenant administration (%s)', (dialect) => {
  let s: TestServer;
  let root: string;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
    root = await s.adminToken();
  });
  afterAll(() => s?.close());

  it('a super-admin creates a tenant with its first admin, who administers only that tenant', async () => {
    const r = await s.call('POST', '/api/admin/tenants', {
      token: root,
      body: { id: 'kg-42', name: 'Kindergarten 42', admin_username: 'head', admin_password: PW },
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.data.data).toMatchObject({ id: 'kg-42', name: 'Kindergarten 42', status: 'active' });
    const kg = inTenant(s, 'kg-42');
    const { access_token } = await kg.login('head');
    // The tenant's admin manages its users, and sees only them…
    await kg.register('parent1');
    const users = await kg.call('GET', '/api/admin/users', { token: access_token });
    expect(users.statusCode, users.body).toBe(200);
    expect(users.data.data.items.map((u: { username: string }) => u.username).sort()).toEqual([
      'head',
      'parent1',
    ]);
    // …but never the tenants.
    const list = await kg.call('GET', '/api/admin/tenants', { token: access_token });
    expect(list.statusCode).toBe(404);
    // The default tenant's ordinary users are refused.
    await s.register('plain');
    const plain = (await s.login('plain')).access_token;
    expect((await s.call('GET', '/api/admin/tenants', { token: plain })).statusCode).toBe(403);
    const all = await s.call('GET', '/api/admin/tenants', { token: root });
    expect(all.data.data.items.map((t: { id: string }) => t.id)).toEqual(
      expect.arrayContaining(['default', 'kg-42']),
    );
    // Audited in the default tenant's trail.
    await s.rt.audit.flush();
    const audit = await s.call('GET', '/api/admin/audit?event=admin.tenant.create', {
      token: root,
    });
    expect(audit.data.data.total).toBe(1);
  });

  it('refuses a bad id, a duplicate, half an admin, and disabling or deleting the default tenant', async () => {
    const post = (body: unknown) => s.call('POST', '/api/admin/tenants', { token: root, body });
    for (const id of ['Upper', '-x', 'a'.repeat(64), 'a b'])
      expect((await post({ id, name: 'n' })).statusCode, id).toBe(400);
    expect((await post({ id: 'twice', name: 'n' })).statusCode).toBe(201);
    const again = await post({ id: 'twice', name: 'n' });
    expect(again.statusCode).toBe(409);
    expect(again.data.error).toBe('TENANT_EXISTS');
    expect((await post({ id: 'half', name: 'n', admin_username: 'x' })).statusCode).toBe(400);
    expect(
      (
        await s.call('PATCH', '/api/admin/tenants/default', {
          token: root,
          body: { status: 'disabled' },
        })
      ).statusCode,
    ).toBe(400);
    expect((await s.call('DELETE', '/api/admin/tenants/default', { token: root })).statusCode).toBe(
      400,
    );
    expect((await s.call('GET', '/api/admin/tenants/nope', { token: root })).statusCode).toBe(404);
  });

  it('deleting a tenant removes every row it owns and nothing of the others', async () => {
    const r = await s.call('POST', '/api/admin/tenants', {
      token: root,
      body: { id: 'doomed', name: 'Doomed', admin_username: 'boss', admin_password: PW },
    });
    expect(r.statusCode).toBe(201);
    const doomed = inTenant(s, 'doomed');
    for (const u of ['user1', 'user2', 'user3']) await doomed.register(u);
    const { access_token } = await doomed.login('user1');
    await (await s.rt.forTenant(asTenantId('doomed')!)).settings.update({ maxSessions: 3 });
    const k = s.rt.sql.all('the test counts rows of every tenant');
    const count = async (tenant: string) => {
      let n = 0;
      for (const t of [
        'users',
        'user_roles',
        'roles',
        'role_permissions',
        'sessions',
        'refresh_tokens',
        'settings',
        'signing_keys',
        'audit_events',
      ]) {
        const x = await sql<{
          n: number | string;
        }>`select count(*) as n from ${sql.table(t)} where tenant_id = ${tenant}`.execute(k);
        n += Number(x.rows[0]!.n);
      }
      return n;
    };
    await s.rt.audit.flush();
    expect(await count('doomed')).toBeGreaterThan(10);
    const otherBefore = await count('default');
    const del = await s.call('DELETE', '/api/admin/tenants/doomed', { token: root });
    expect(del.statusCode, del.body).toBe(200);
    expect(del.data.data.removed.users).toBe(4);
    expect(await count('doomed')).toBe(0);
    await s.rt.audit.flush();
    expect(await count('default')).toBeGreaterThanOrEqual(otherBefore);
    const gone = await doomed.call('GET', '/api/public/auth/me', { token: access_token });
    expect(gone.statusCode).toBe(404);
    expect(gone.data.error).toBe('TENANT_NOT_FOUND');
  });
});

describe('naming the tenant: each way switchable, hosts mapped', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({
      config: { tenantResolution: ['path'], tenantHosts: ['acme.example.com=acme'] },
    });
    await s.rt.tenants.create(ACME, 'Acme');
    await inTenant(s, undefined).register('hank');
    // Registered in acme through its host name.
    const r = await s.call('POST', '/api/public/auth/register', {
      body: { username: 'hank', password: PW, email: 'hank@acme.example.com' },
      headers: { host: 'acme.example.com' },
    });
    expect(r.statusCode, r.body).toBe(201);
  });
  afterAll(() => s?.close());

  const tidOf = async (headers: Record<string, string>, url = '/api/public/auth/login') => {
    const r = await s.call('POST', url, { body: { username: 'hank', password: PW }, headers });
    expect(r.statusCode, r.body).toBe(200);
    return claimsOf(r.data.data.access_token).tid;
  };

  it('by host (in force once hosts are set), by path; the header is off when not listed', async () => {
    expect(await tidOf({ host: 'acme.example.com' })).toBe('acme');
    expect(await tidOf({ host: 'ACME.example.com:8443' })).toBe('acme');
    expect(await tidOf({}, '/t/acme/api/public/auth/login')).toBe('acme');
    // Not a way in force: the header names nothing, the request is the default tenant's.
    expect(await tidOf({ 'x-tessera-tenant': 'acme' })).toBe('default');
    expect(await tidOf({ host: 'other.example.com' })).toBe('default');
    // The path wins over the host.
    const r = await s.call('POST', '/t/nope/api/public/auth/login', {
      body: { username: 'hank', password: PW },
      headers: { host: 'acme.example.com' },
    });
    expect(r.data.error).toBe('TENANT_NOT_FOUND');
  });

  it('a wrong resolution setting or host map stops the start with one line naming it', async () => {
    await expect(createTestServer({ config: { tenantResolution: ['cookie'] } })).rejects.toThrow(
      /TESSERA_TENANT_RESOLUTION: "cookie" is not one of host, header, path/,
    );
    await expect(
      createTestServer({ config: { tenantHosts: ['acme.example.com'] } }),
    ).rejects.toThrow(/TESSERA_TENANT_HOSTS: "acme.example.com" is not host=tenant/);
  });
});
