import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { expectError, me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const API_TOKENS = ['svc_first_0123456789abcdef', 'svc_second_fedcba9876543210'];
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Seed 002's chain: excluded → public API token → JWT → revocation → permission (issue 4). */
describe.each(dialects())('request pipeline (%s)', (dialect) => {
  const clock = new ManualClock(Date.now());
  let s: TestServer;
  let user: string;
  beforeAll(async () => {
    s = await createTestServer({ dialect, clock, config: { publicApiTokens: API_TOKENS } });
    user = uname('pipe');
    await s.register(user);
  });
  afterAll(() => s?.close());

  const introspect = (token: string, auth?: Record<string, string>) =>
    s.call('POST', '/api/service/introspect', {
      body: { token },
      headers: auth ?? { authorization: `Bearer ${API_TOKENS[0]}` },
    });

  it('an excluded route needs nothing and ignores any Authorization header', async () => {
    expect((await s.call('GET', '/healthz')).statusCode).toBe(200);
    expect(
      (await s.call('GET', '/healthz', { headers: { authorization: 'Bearer garbage' } }))
        .statusCode,
    ).toBe(200);
    expect((await s.call('GET', '/.well-known/jwks.json')).statusCode).toBe(200);
  });

  it('public-token path: accepts each configured static token, refuses a JWT, a wrong or missing token', async () => {
    const t = (await s.login(user)).access_token;
    const okRes = await introspect(t);
    expect(okRes.statusCode).toBe(200);
    expect(okRes.data.data).toMatchObject({
      active: true,
      username: user,
      user_type: 'user',
      token_type: 'Bearer',
    });
    expect(okRes.data.data.scope).toContain('profile:read');
    expect((await introspect(t, { 'x-api-token': API_TOKENS[1]! })).data.data.active).toBe(true);
    expectError(await introspect(t, { authorization: `Bearer ${t}` }), 401, 'TOKEN_INVALID');
    expectError(
      await introspect(t, { authorization: `Bearer ${API_TOKENS[0]}x` }),
      401,
      'TOKEN_INVALID',
    );
    expectError(
      await introspect(t, { authorization: `Bearer ${API_TOKENS[0]!.slice(0, -1)}` }),
      401,
      'TOKEN_INVALID',
    );
    expectError(await introspect(t, {}), 401, 'TOKEN_MISSING');
  });

  it('introspection applies revocation: a logged-out token is inactive, with no detail', async () => {
    const t = (await s.login(user)).access_token;
    await s.call('POST', '/api/public/auth/logout', { token: t });
    expect((await introspect(t)).data.data).toEqual({ active: false });
    expect((await introspect('not-a-token')).data.data).toEqual({ active: false });
  });

  it('missing → TOKEN_MISSING; malformed → TOKEN_INVALID', async () => {
    expectError(await s.call('GET', '/api/public/auth/me'), 401, 'TOKEN_MISSING');
    for (const h of [
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwdw==',
      'Bearer not-a-jwt',
      'Bearer a.b.c',
      'Token abc.def.ghi',
    ]) {
      expectError(
        await s.call('GET', '/api/public/auth/me', { headers: { authorization: h } }),
        401,
        'TOKEN_INVALID',
      );
    }
  });

  it('forged tokens → TOKEN_INVALID: bad signature, alg none, foreign key, wrong typ', async () => {
    const t = (await s.login(user)).access_token;
    const [h, p, sig] = t.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const elevated = b64({ ...claims, roles: ['admin'], role: 'admin', level: 100 });
    const forged = [
      `${h}.${elevated}.${sig}`,
      `${b64({ ...header, alg: 'none' })}.${p}.`,
      `${b64({ ...header, alg: 'none' })}.${p}.${sig}`,
      `${b64({ ...header, typ: 'JWT' })}.${p}.${sig}`,
      `${b64({ ...header, alg: 'HS256' })}.${p}.${sig}`,
    ];
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const input = `${h}.${elevated}`;
    forged.push(
      `${input}.${createSign('sha256').update(input).sign(privateKey).toString('base64url')}`,
    );
    for (const f of forged) expect(await me(s, f)).toBe('TOKEN_INVALID');
    expect(await me(s, t)).toBe('OK');
  });

  it('valid token without the permission → 403 FORBIDDEN; no token on the same route → 401', async () => {
    const t = (await s.login(user)).access_token;
    expectError(await s.call('GET', '/api/admin/users', { token: t }), 403, 'FORBIDDEN');
    expectError(
      await s.call('PATCH', '/api/admin/settings', { token: t, body: { maxSessions: 1 } }),
      403,
      'FORBIDDEN',
    );
    expectError(await s.call('GET', '/api/admin/users'), 401, 'TOKEN_MISSING');
    expect(
      (await s.call('GET', '/api/admin/users', { token: await s.adminToken() })).statusCode,
    ).toBe(200);
  });

  it('revocation is decided before permission: an ended session gets 401, not 403', async () => {
    const t = (await s.login(user)).access_token;
    await s.call('POST', '/api/public/auth/logout', { token: t });
    expectError(await s.call('GET', '/api/admin/users', { token: t }), 401, 'SESSION_ENDED');
  });

  it('expired → TOKEN_EXPIRED (before revocation and permission), a refresh gives a working one', async () => {
    const t = await s.login(user);
    const ended = (await s.login(user)).access_token;
    await s.call('POST', '/api/public/auth/logout', { token: ended });
    expect(await me(s, t.access_token)).toBe('OK');
    clock.advance(899_000);
    expect(await me(s, t.access_token)).toBe('OK');
    clock.advance(1_000);
    expect(await me(s, t.access_token)).toBe('TOKEN_EXPIRED');
    expect(await me(s, ended)).toBe('TOKEN_EXPIRED');
    expectError(
      await s.call('GET', '/api/admin/users', { token: t.access_token }),
      401,
      'TOKEN_EXPIRED',
    );
    expect((await introspect(t.access_token)).data.data).toEqual({ active: false });
    const r = await s.call('POST', '/api/public/auth/refresh', {
      body: { refresh_token: t.refresh_token },
    });
    expect(await me(s, r.data.data.access_token)).toBe('OK');
  });

  it('a refresh token is never accepted as an access token', async () => {
    const t = await s.login(user);
    expect(await me(s, t.refresh_token)).toBe('TOKEN_INVALID');
    expectError(
      await s.call('POST', '/api/public/auth/refresh', { body: { refresh_token: t.access_token } }),
      401,
      'TOKEN_INVALID',
    );
  });
});

describe('public-token paths with no token configured', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer();
  });
  afterAll(() => s?.close());

  it('fail closed: every caller is refused', async () => {
    const name = uname('closed');
    await s.register(name);
    const t = (await s.login(name)).access_token;
    expectError(
      await s.call('POST', '/api/service/introspect', { body: { token: t } }),
      401,
      'TOKEN_MISSING',
    );
    expectError(
      await s.call('POST', '/api/service/introspect', { body: { token: t }, token: t }),
      401,
      'TOKEN_INVALID',
    );
    expectError(
      await s.call('POST', '/api/service/introspect', {
        body: { token: t },
        headers: { 'x-api-token': '' },
      }),
      401,
      'TOKEN_MISSING',
    );
  });
});
