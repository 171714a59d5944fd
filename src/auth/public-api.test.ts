import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const P = '/api/public/auth';

/** The six seed-001 endpoints, their shapes and error codes, on every dialect. @see issue 2 */
describe.each(dialects())('seed-001 public API on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
  });
  afterAll(() => s.close());

  it('register answers 201 with a null data, then 409 USER_EXISTS', async () => {
    const body = {
      username: 'newuser',
      email: 'newuser@example.com',
      password: 'plaintext_password',
      phoneNumber: '13800138000',
    };
    const r = await s.call('POST', `${P}/register`, { body });
    expect(r.statusCode).toBe(201);
    expect(r.data).toEqual({ code: 201, message: expect.any(String), data: null });
    const again = await s.call('POST', `${P}/register`, {
      body: { ...body, email: 'other@example.com' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.data).toMatchObject({ code: 409, error: 'USER_EXISTS', data: null });
    expect(again.data.message).toMatch(/^USER_EXISTS: /);
  });

  it('login returns the seed token pair, me returns the user from the token', async () => {
    await s.register('carol');
    const r = await s.call('POST', `${P}/login`, {
      body: { username: 'carol', password: 'a-strong-passphrase' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.data.code).toBe(200);
    const d = r.data.data;
    expect(d).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_expires_in: 604800 });
    expect(d.access_token.split('.')).toHaveLength(3);
    expect(d.refresh_token).toMatch(/^tsr_/);
    const header = JSON.parse(Buffer.from(d.access_token.split('.')[0], 'base64url').toString());
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const claims = JSON.parse(Buffer.from(d.access_token.split('.')[1], 'base64url').toString());
    for (const c of ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp', 'role', 'level', 'scope'])
      expect(claims).toHaveProperty(c);
    const me = await s.call('GET', `${P}/me`, { token: d.access_token });
    expect(me.statusCode).toBe(200);
    expect(me.data.data).toMatchObject({
      userId: Number(claims.sub),
      username: 'carol',
      authorities: ['ROLE_USER'],
    });
  });

  it('logs in by e-mail as the username (seed 001 uses user@example.com)', async () => {
    await s.register('dave', 'a-strong-passphrase', 'Dave@Example.com');
    const t = await s.login('dave@example.com');
    expect(t.access_token).toBeTruthy();
  });

  it('wrong password and unknown user give the same answer, localised by Accept-Language', async () => {
    await s.register('erin');
    const wrong = await s.call('POST', `${P}/login`, {
      body: { username: 'erin', password: 'not-the-password' },
      headers: { 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    const unknown = await s.call('POST', `${P}/login`, {
      body: { username: 'nobody-here', password: 'not-the-password' },
      headers: { 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.data).toEqual(unknown.data);
    expect(wrong.data).toEqual({
      code: 401,
      message: 'INVALID_CREDENTIALS: 用户名或密码错误',
      error: 'INVALID_CREDENTIALS',
      data: null,
    });
    const en = await s.call('POST', `${P}/login`, {
      body: { username: 'erin', password: 'nope-nope-nope' },
      headers: { 'accept-language': 'en-US' },
    });
    expect(en.data.message).toBe('INVALID_CREDENTIALS: Wrong username or password');
  });

  it('refresh rotates; the old refresh token is single use and its reuse ends the session', async () => {
    await s.register('frank');
    const t1 = await s.login('frank');
    const r2 = await s.call('POST', `${P}/refresh`, { body: { refresh_token: t1.refresh_token } });
    expect(r2.statusCode).toBe(200);
    const t2 = r2.data.data;
    expect(t2.refresh_token).not.toBe(t1.refresh_token);
    expect((await s.call('GET', `${P}/me`, { token: t2.access_token })).statusCode).toBe(200);
    // Reuse of the rotated token: the whole family ends (RFC 9700 §4.14.2).
    const reuse = await s.call('POST', `${P}/refresh`, {
      body: { refresh_token: t1.refresh_token },
    });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.data.error).toBe('TOKEN_REVOKED');
    const after = await s.call('POST', `${P}/refresh`, {
      body: { refresh_token: t2.refresh_token },
    });
    expect(after.statusCode).toBe(401);
    expect((await s.call('GET', `${P}/me`, { token: t2.access_token })).data.error).toBe(
      'SESSION_ENDED',
    );
    await s.rt.audit.flush();
    const ev = await s.rt.db.kysely
      .selectFrom('audit_events')
      .select('event')
      .where('event', '=', 'refresh.reuse')
      .execute();
    expect(ev.length).toBeGreaterThan(0);
  });

  it('never takes an access token for a refresh token, nor the reverse', async () => {
    await s.register('gina');
    const t = await s.login('gina');
    const asRefresh = await s.call('POST', `${P}/refresh`, {
      body: { refresh_token: t.access_token },
    });
    expect(asRefresh.statusCode).toBe(401);
    expect(asRefresh.data.error).toBe('TOKEN_INVALID');
    const asAccess = await s.call('GET', `${P}/me`, { token: t.refresh_token });
    expect(asAccess.statusCode).toBe(401);
    expect(asAccess.data.error).toBe('TOKEN_INVALID');
  });

  it('logout ends the session: me answers 401 afterwards, refresh too', async () => {
    await s.register('hank');
    const t = await s.login('hank');
    const out = await s.call('POST', `${P}/logout`, { token: t.access_token });
    expect(out.statusCode).toBe(200);
    expect(out.data).toMatchObject({ code: 200, data: null });
    const me = await s.call('GET', `${P}/me`, { token: t.access_token });
    expect(me.statusCode).toBe(401);
    expect(me.data.error).toBe('SESSION_ENDED');
    expect(
      (await s.call('POST', `${P}/refresh`, { body: { refresh_token: t.refresh_token } }))
        .statusCode,
    ).toBe(401);
  });

  it('me and logout without a token: TOKEN_MISSING; with garbage: TOKEN_INVALID', async () => {
    expect((await s.call('GET', `${P}/me`)).data.error).toBe('TOKEN_MISSING');
    expect((await s.call('POST', `${P}/logout`)).data.error).toBe('TOKEN_MISSING');
    expect((await s.call('GET', `${P}/me`, { token: 'abc.def.ghi' })).data.error).toBe(
      'TOKEN_INVALID',
    );
    expect(
      (await s.call('GET', `${P}/me`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } })).data
        .error,
    ).toBe('TOKEN_INVALID');
  });
});
