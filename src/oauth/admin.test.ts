/**
 * A tenant's identity providers managed by its administrators: client
 * secrets sealed at rest and never answered, per-tenant isolation (a
 * provider of tenant A is unknown in B and in the default tenant), and a
 * sign-in through a tenant's provider at its own callback URL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../test-support/db.js';
import { expectError } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { APP, TESSERA, landing, startFakes, visit } from './oauth.test-support.js';

const PW = 'a-strong-passphrase';
const SECRET = 'gh-secret-that-must-not-leak';

describe.each(dialects())('identity providers per tenant (%s)', (dialect) => {
  let t: TestServer;
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let acmeAdmin: string;
  const acme = { 'x-tessera-tenant': 'acme' };
  const def = () => ({
    name: 'acme-gh',
    kind: 'oauth2',
    authorization_endpoint: `${fakes.base}/gh/login/oauth/authorize`,
    token_endpoint: `${fakes.base}/gh/login/oauth/access_token`,
    userinfo_endpoint: `${fakes.base}/gh/user`,
    client_id: 'acme-client',
    client_secret: SECRET,
    return_urls: [APP],
    allow_http: true,
  });

  beforeAll(async () => {
    fakes = await startFakes();
    t = await createTestServer({
      dialect,
      config: { publicUrl: TESSERA, masterKey: randomBytes(32).toString('base64') },
    });
    const r = await t.call('POST', '/api/admin/tenants', {
      token: await t.adminToken(),
      body: { id: 'acme', name: 'Acme', admin_username: 'acme-admin', admin_password: PW },
    });
    expect(r.statusCode, r.body).toBe(201);
    const l = await t.call('POST', '/api/public/auth/login', {
      headers: acme,
      body: { username: 'acme-admin', password: PW },
    });
    acmeAdmin = l.data.data.access_token;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fakes?.close();
  });

  it('an admin adds a provider: the answer has no secret, the database holds it sealed', async () => {
    const r = await t.call('POST', '/api/admin/identity-providers', {
      token: acmeAdmin,
      headers: acme,
      body: def(),
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.body).not.toContain(SECRET);
    expect(r.data.data).toMatchObject({
      name: 'acme-gh',
      has_client_secret: true,
      source: 'admin',
      callback_url: `${TESSERA}/t/acme/api/public/auth/oauth/acme-gh/callback`,
    });
    const row = await t.rt.db.kysely
      .selectFrom('oauth_providers')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.client_secret.startsWith('tsl1:')).toBe(true);
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expectError(
      await t.call('POST', '/api/admin/identity-providers', {
        token: acmeAdmin,
        headers: acme,
        body: def(),
      }),
      409,
      'OAUTH_PROVIDER_EXISTS',
    );
    const list = await t.call('GET', '/api/admin/identity-providers', {
      token: acmeAdmin,
      headers: acme,
    });
    expect(list.data.data.items.map((p: { name: string }) => p.name)).toEqual(['acme-gh']);
    expect(list.body).not.toContain(SECRET);
  });

  it('a definition that does not hold together is a 400 naming the field', async () => {
    const bad = await t.call('POST', '/api/admin/identity-providers', {
      token: acmeAdmin,
      headers: acme,
      body: { ...def(), name: 'other', userinfo_endpoint: undefined },
    });
    expectError(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body).toContain('userinfo_endpoint');
    const http = await t.call('POST', '/api/admin/identity-providers', {
      token: acmeAdmin,
      headers: acme,
      body: { ...def(), name: 'other', allow_http: false },
    });
    expectError(http, 400, 'VALIDATION_FAILED');
  });

  it('a provider of tenant acme is unknown in the default tenant, and the default admin does not see it', async () => {
    expectError(
      await t.call('GET', '/api/public/auth/oauth/acme-gh/start'),
      404,
      'OAUTH_PROVIDER_UNKNOWN',
    );
    const root = await t.adminToken();
    const list = await t.call('GET', '/api/admin/identity-providers', { token: root });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.data.data.items).toEqual([]);
    expectError(
      await t.call('GET', '/api/admin/identity-providers/acme-gh', { token: root }),
      404,
      'OAUTH_PROVIDER_UNKNOWN',
    );
    // A user of acme without the permission is refused.
    await t.call('POST', '/api/public/auth/register', {
      headers: acme,
      body: { username: 'amy', password: PW, email: 'amy@example.com' },
    });
    const amy = await t.call('POST', '/api/public/auth/login', {
      headers: acme,
      body: { username: 'amy', password: PW },
    });
    expectError(
      await t.call('GET', '/api/admin/identity-providers', {
        token: amy.data.data.access_token,
        headers: acme,
      }),
      403,
      'FORBIDDEN',
    );
  });

  it("a sign-in through acme's provider at acme's callback, and its state is unknown to the default tenant", async () => {
    const s = await t.call('GET', '/t/acme/api/public/auth/oauth/acme-gh/start');
    expect(s.statusCode, s.body).toBe(302);
    const u = new URL(String(s.headers.location));
    expect(u.searchParams.get('redirect_uri')).toBe(
      `${TESSERA}/t/acme/api/public/auth/oauth/acme-gh/callback`,
    );
    const state = u.searchParams.get('state')!;
    // The PKCE verifier waits sealed too.
    const st = await t.rt.db.kysely
      .selectFrom('oauth_states')
      .select('code_verifier')
      .executeTakeFirstOrThrow();
    expect(st.code_verifier.startsWith('tsl1:')).toBe(true);
    // The same state at the default tenant's path: not found there (nor used up by trying).
    expectError(
      await t.call('GET', `/api/public/auth/oauth/acme-gh/callback?code=x&state=${state}`),
      400,
      'OAUTH_STATE_INVALID',
    );
    const back = landing(
      await visit(
        t,
        `${TESSERA}/t/acme/api/public/auth/oauth/acme-gh/callback?code=x&state=${state}`,
      ),
    );
    const code = back.searchParams.get('code')!;
    // The one-time code belongs to acme too.
    expectError(
      await t.call('POST', '/api/public/auth/oauth/token', { body: { code } }),
      400,
      'OAUTH_CODE_INVALID',
    );
    const r = await t.call('POST', '/t/acme/api/public/auth/oauth/token', { body: { code } });
    expect(r.statusCode, r.body).toBe(200);
    const me = await t.call('GET', '/api/public/auth/me', {
      token: r.data.data.access_token,
      headers: acme,
    });
    expect(me.statusCode, me.body).toBe(200);
  });

  it('an update keeps the secret when it is omitted; a delete removes the provider', async () => {
    const { client_secret: _omit, ...rest } = def();
    const up = await t.call('PUT', '/api/admin/identity-providers/acme-gh', {
      token: acmeAdmin,
      headers: acme,
      body: { ...rest, name: undefined, display_name: 'Acme GitHub' },
    });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.data.data).toMatchObject({ display_name: 'Acme GitHub', has_client_secret: true });
    const row = await t.rt.db.kysely
      .selectFrom('oauth_providers')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.client_secret.startsWith('tsl1:')).toBe(true);
    const del = await t.call('DELETE', '/api/admin/identity-providers/acme-gh', {
      token: acmeAdmin,
      headers: acme,
    });
    expect(del.statusCode, del.body).toBe(200);
    expectError(
      await t.call('GET', '/t/acme/api/public/auth/oauth/acme-gh/start'),
      404,
      'OAUTH_PROVIDER_UNKNOWN',
    );
    await t.rt.audit.flush();
    const audit = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select('event')
      .where('event', 'like', 'admin.identity_provider.%')
      .execute();
    expect(audit.map((a) => a.event).sort()).toEqual([
      'admin.identity_provider.create',
      'admin.identity_provider.delete',
      'admin.identity_provider.update',
    ]);
  });
});
