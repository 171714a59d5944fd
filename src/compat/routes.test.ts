import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { baseUrl, connect, wrap } from '../presence/ws-client.test-support.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

/** @see issue 5 — seed 000's `/auth/*` routes and its frontend snippet, with the demo users. */
describe('seed 000 compatible routes', () => {
  let t: TestServer;
  let host: string;
  const sockets: WebSocket[] = [];

  const seedLogin = (body: unknown) => t.call('POST', '/auth/login', { body });

  beforeAll(async () => {
    t = await createTestServer({ config: { demo: true, loginPolicy: 'kefu=single,*=multi' } });
    host = await baseUrl(t.app);
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await t.close();
  });

  it("runs the seed's frontend snippet as written (login, then WebSocket with jwt_token)", async () => {
    // Seed 000 "前端集成", verbatim except for the absolute URL Node's fetch needs
    // and `ws`'s WebSocket standing in for the browser's. The local `fetch`
    // only gives `json()` the seed's type, so the snippet's lines type-check as written.
    const fetch = (url: string, init?: RequestInit) =>
      globalThis.fetch(url, init) as Promise<
        Omit<Response, 'json'> & { json(): Promise<{ token: string }> }
      >;
    const loginResponse = await fetch(`http://${host}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        username: 'admin',
        password: 'admin123',
        user_type: 'kefu',
      }),
    });

    const { token } = await loginResponse.json();

    const ws = new WebSocket(
      `ws://${host}/ws?user_id=kefu_001&user_name=admin&user_type=kefu&jwt_token=${token}`,
    );
    sockets.push(ws);
    const c = wrap(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });

    const response = await fetch(`http://${host}/api/public/auth/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);

    // kefu1 comes online: admin (same type, and an administrator) is told.
    const kefu1 = (await seedLogin({ username: 'kefu1', password: 'kefu123', user_type: 'kefu' }))
      .data.token as string;
    const k = await connect(`ws://${host}/ws?jwt_token=${kefu1}`);
    sockets.push(k.ws);
    expect(
      await c.next(
        (f) =>
          f.type === 'presence' &&
          f.status === 'online' &&
          f.user_type === 'kefu' &&
          f.user_id !== undefined &&
          f.user_id !== '1',
      ),
    ).toMatchObject({ type: 'presence' });
    // single policy for kefu: logging admin in again kicks the snippet's socket.
    await seedLogin({ username: 'admin', password: 'admin123', user_type: 'kefu' });
    expect(await c.next((f) => f.type === 'session_ended')).toEqual({
      type: 'session_ended',
      reason: 'LOGGED_IN_ELSEWHERE',
      detail: 'LOGGED_IN_ELSEWHERE',
    });
    expect((await c.closed).code).toBe(4001);
  });

  it('POST /auth/login answers the seed shape, token also at the top level', async () => {
    const r = await seedLogin({ username: 'kefu1', password: 'kefu123', user_type: 'kefu' });
    expect(r.statusCode).toBe(200);
    expect(r.data).toMatchObject({
      success: true,
      message: expect.any(String),
      token: r.data.data.token,
      data: {
        token: expect.stringMatching(/^ey/),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        user: {
          id: expect.any(String),
          username: 'kefu1',
          user_type: 'kefu',
          display_name: '客服001',
          email: 'kefu1@example.com',
        },
      },
    });
    const zh = await t.call('POST', '/auth/login', {
      body: { username: 'kefu1', password: 'kefu123' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(zh.data.message).toBe('登录成功');
  });

  it('refuses in the seed error shape with the right status', async () => {
    const wrongType = await seedLogin({
      username: 'kefu1',
      password: 'kefu123',
      user_type: 'user',
    });
    expect(wrongType.statusCode).toBe(401);
    expect(wrongType.data).toEqual({
      success: false,
      message: expect.stringMatching(/^INVALID_CREDENTIALS: /),
      error: 'INVALID_CREDENTIALS',
      data: null,
    });
    const bad = await seedLogin({ username: 'kefu1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.data).toMatchObject({ success: false, error: 'VALIDATION_FAILED', data: null });
    const none = await t.call('GET', '/auth/validate');
    expect(none.statusCode).toBe(401);
    expect(none.data).toMatchObject({ success: false, error: 'TOKEN_MISSING', data: null });
    expect(none.data.message).toMatch(/^TOKEN_MISSING: /);
  });

  it('validate, heartbeat, online and logout share the main mechanisms', async () => {
    const token = (await seedLogin({ username: 'kefu1', password: 'kefu123', user_type: 'kefu' }))
      .data.token as string;
    const v = await t.call('GET', '/auth/validate', { token });
    expect(v.statusCode).toBe(200);
    expect(v.data).toMatchObject({
      success: true,
      data: {
        valid: true,
        user: { username: 'kefu1', user_type: 'kefu' },
        claims: { username: 'kefu1', user_type: 'kefu' },
      },
    });
    const same = await t.call('GET', '/api/auth/validate', { token });
    expect(same.data.data.user).toEqual(v.data.data.user);

    const hb = await t.call('POST', '/auth/heartbeat', { token });
    expect(hb.data).toMatchObject({
      success: true,
      data: { status: 'online', timeout_seconds: 60 },
    });
    const online = await t.call('GET', '/auth/online?user_type=kefu', { token });
    expect(online.statusCode).toBe(200);
    expect(online.data.data.users.map((u: { username: string }) => u.username)).toContain('kefu1');

    const out = await t.call('POST', '/auth/logout', { token });
    expect(out.data).toMatchObject({ success: true, data: null });
    const after = await t.call('GET', '/auth/validate', { token });
    expect(after.statusCode).toBe(401);
    expect(after.data).toMatchObject({ success: false, error: 'SESSION_ENDED' });
    // The session's heartbeat no longer holds kefu1 online.
    const admin = (await seedLogin({ username: 'admin', password: 'admin123' })).data
      .token as string;
    const now = await t.call('GET', '/auth/online?user_type=kefu', { token: admin });
    expect(now.data.data.users.map((u: { username: string }) => u.username)).not.toContain('kefu1');
  });

  it('audits seed logins like any other', async () => {
    const since = t.rt.clock.now();
    await seedLogin({ username: 'kefu1', password: 'kefu123' });
    await seedLogin({ username: 'kefu1', password: 'wrong-password' });
    await t.rt.audit.flush();
    const rows = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select(['event', 'outcome'])
      .where('at', '>=', since)
      .where('username', '=', 'kefu1')
      .execute();
    const events = rows.map((e) => `${e.event}:${e.outcome}`);
    expect(events).toContain('login.success:success');
    expect(events).toContain('login.failure:failure');
  });
});
