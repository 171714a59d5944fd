import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const headerOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string };

/** Issue 4 admin API: dynamic settings (validated, applied at once) and signing keys. */
describe.each(dialects())('admin settings and keys (%s)', (dialect) => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  const patch = (body: object, token = admin) =>
    s.call('PATCH', '/api/admin/settings', { token, body });

  it('GET shows the values in force; PATCH applies at once; null restores the start value', async () => {
    const g = await s.call('GET', '/api/admin/settings', { token: admin });
    expect(g.data.data).toMatchObject({
      accessTokenTtl: 900,
      maxSessions: 10,
      loginPolicy: '*=multi',
    });
    const p = await patch({ accessTokenTtl: 120, loginPolicy: 'kefu=single' });
    expect(p.data.data).toMatchObject({ accessTokenTtl: 120, loginPolicy: 'kefu=single,*=multi' });
    expect(s.rt.settings.get().accessTokenTtl).toBe(120);
    const name = uname('ttl');
    await s.register(name);
    expect((await s.login(name)).expires_in).toBe(120);
    await s.rt.settings.reload(); // what another node or a restart would read back from SQL
    expect(s.rt.settings.get().accessTokenTtl).toBe(120);
    const back = await patch({ accessTokenTtl: null, loginPolicy: null });
    expect(back.data.data).toMatchObject({ accessTokenTtl: 900, loginPolicy: '*=multi' });
    expect((await s.login(name)).expires_in).toBe(900);
  });

  it('bad values → 400 VALIDATION_FAILED and nothing changes', async () => {
    const bad: object[] = [
      { maxSessions: 0 },
      { maxSessions: 2.5 },
      { maxSessions: 'ten' },
      { maxSessions: true },
      { accessTokenTtl: 10 },
      { loginPolicy: 'kefu=sometimes' },
      { loginPolicy: 'kefu' },
      { registerCaptcha: 'yes' },
      { lockoutMode: 'forever' },
      { maxSessions: 5, sessionIdleTimeout: -1 },
      {},
      { maxSession: 3 },
      { maxSessions: 3, bogus: 1 },
    ];
    for (const body of bad) {
      const r = await patch(body);
      expect({ body, error: r.data.error }).toEqual({ body, error: 'VALIDATION_FAILED' });
    }
    expect(s.rt.settings.get()).toMatchObject({ maxSessions: 10, sessionIdleTimeout: 3 * 86400 });
    // The strict body schema still renders in the OpenAPI document.
    const doc = await s.call('GET', '/openapi.json');
    expect(doc.data.paths['/api/admin/settings'].patch).toBeDefined();
  });

  it('settings need settings:read / settings:write', async () => {
    const name = uname('nos');
    await s.register(name);
    const t = (await s.login(name)).access_token;
    expectError(await s.call('GET', '/api/admin/settings', { token: t }), 403, 'FORBIDDEN');
    expectError(await patch({ maxSessions: 1 }, t), 403, 'FORBIDDEN');
  });

  it('keys: list, rotate; old tokens still verify, new ones use the new key, JWKS has both', async () => {
    const before = await s.call('GET', '/api/admin/keys', { token: admin });
    expect(before.data.data.filter((k: { active: boolean }) => k.active)).toHaveLength(1);
    const oldKid = before.data.data.find((k: { active: boolean }) => k.active).kid as string;
    expect(headerOf(admin).kid).toBe(oldKid);
    const rotated = await s.call('POST', '/api/admin/keys/rotate', { token: admin });
    expect(rotated.statusCode).toBe(200);
    const active = rotated.data.data.filter((k: { active: boolean }) => k.active);
    expect(active).toHaveLength(1);
    expect(active[0].kid).not.toBe(oldKid);
    expect(
      rotated.data.data.find((k: { kid: string }) => k.kid === oldKid).expires_at,
    ).toBeGreaterThan(Date.now());
    expect(await me(s, admin)).toBe('OK');
    const next = await s.adminToken();
    expect(headerOf(next).kid).toBe(active[0].kid);
    const jwks = await s.call('GET', '/.well-known/jwks.json');
    expect(jwks.data.keys.map((k: { kid: string }) => k.kid)).toEqual(
      expect.arrayContaining([oldKid, active[0].kid]),
    );
    const name = uname('nok');
    await s.register(name);
    expectError(
      await s.call('POST', '/api/admin/keys/rotate', { token: (await s.login(name)).access_token }),
      403,
      'FORBIDDEN',
    );
  });
});
