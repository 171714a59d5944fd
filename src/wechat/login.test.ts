/**
 * WeChat mini-program login (issue 14 item 1) against a local fake of the
 * WeChat API: new and returning users, the unionid merge, every WeChat error
 * in Tessera's terms, no hang, the session_key nowhere, a replayed code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../test-support/db.js';
import { expectError, me } from '../test-support/auth-helpers.js';
import type { TestServer } from '../test-support/server.js';
import { startFakeWechat, type FakeWechat } from './fake-wechat.test-support.js';
import { APP, dump, userIdOf, wechatServer, wxLogin } from './wechat.test-support.js';

let seq = 0;
const person = (unionid?: string) => ({
  openid: `oW_${Date.now().toString(36)}_${(seq += 1)}`,
  ...(unionid ? { unionid } : {}),
});

describe.each(dialects())('WeChat login (%s)', (dialect) => {
  let fake: FakeWechat;
  let t: TestServer;
  const bodies: string[] = [];
  const login = async (
    ...a: Parameters<typeof wxLogin> extends [unknown, ...infer R] ? R : never
  ) => {
    const r = await wxLogin(t, ...a);
    bodies.push(r.body);
    return r;
  };
  const userCount = async () =>
    Number(
      (
        await t.rt.db.kysely
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    fake = await startFakeWechat();
    t = await wechatServer(fake, { dialect });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('a new WeChat user: tokens, a generated username, no password, audited as wechat', async () => {
    const p = person();
    const r = await login(fake.code(APP, p));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.data.data).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      new_user: true,
    });
    const who = await t.call('GET', '/api/public/auth/me', { token: r.data.data.access_token });
    expect(who.data.data.username).toMatch(/^wx_[a-z2-9]{10}$/);
    const user = (await t.rt.users.byId(who.data.data.userId))!;
    expect(user).toMatchObject({ email: null, phone_number: null });
    expect(await t.rt.identities.find(`wechat-mp:${APP}`, p.openid)).toMatchObject({
      user_id: user.id,
    });
    await t.rt.audit.flush();
    const ok = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', 'login.success')
      .where('user_id', '=', user.id)
      .execute();
    expect(JSON.parse(ok[0]!.data!)).toEqual({ method: 'wechat' });
    // The refresh token works as any other.
    const f = await t.call('POST', '/api/public/auth/refresh', {
      body: { refresh_token: r.data.data.refresh_token },
    });
    expect(f.statusCode, f.body).toBe(200);
  });

  it('a returning user gets the same account; a new code each time', async () => {
    const p = person();
    const first = await login(fake.code(APP, p));
    const again = await login(fake.code(APP, p));
    expect(again.statusCode, again.body).toBe(200);
    expect(again.data.data.new_user).toBe(false);
    expect(await userIdOf(t, again.data.data.access_token)).toBe(
      await userIdOf(t, first.data.data.access_token),
    );
  });

  it('the unionid merge: two mini-programs of the tenant, one user', async () => {
    const admin = await t.adminToken();
    const other = 'wxsecond00000002';
    fake.app(other, 'second-secret');
    const put = await t.call('PUT', `/api/admin/wechat/apps/${other}`, {
      token: admin,
      body: { secret: 'second-secret' },
    });
    expect(put.statusCode, put.body).toBe(200);
    const unionid = `uW_${seq}_${Date.now().toString(36)}`;
    const inFirst = await login(fake.code(APP, person(unionid)));
    const inSecond = await login(fake.code(other, person(unionid)), { app_id: other });
    expect(inSecond.statusCode, inSecond.body).toBe(200);
    expect(inSecond.data.data.new_user).toBe(false);
    const id = await userIdOf(t, inFirst.data.data.access_token);
    expect(await userIdOf(t, inSecond.data.data.access_token)).toBe(id);
    expect((await t.rt.identities.list(id)).map((r) => r.provider).sort()).toEqual([
      `wechat-mp:${APP}`,
      `wechat-mp:${other}`,
    ]);
    // Two apps now: the default tenant's app from the environment is still the one meant without app_id.
    expect((await login(fake.code(APP, person()))).statusCode).toBe(200);
    // An app the tenant does not have.
    expectError(await login('x', { app_id: 'wxunknown' }), 404, 'WECHAT_NOT_CONFIGURED');
  });

  it("WeChat's error codes in Tessera's terms; a replayed code creates nobody", async () => {
    expectError(await login('never-issued'), 401, 'WECHAT_CODE_INVALID');
    const code = fake.code(APP, person());
    expect((await login(code)).statusCode).toBe(200);
    const before = await userCount();
    const replay = await login(code);
    expectError(replay, 401, 'WECHAT_CODE_USED');
    expect(replay.data.message).toMatch(/^WECHAT_CODE_USED: .*wx\.login\(\)/);
    expect(await userCount()).toBe(before);
    const limited = await login('limited');
    expectError(limited, 429, 'WECHAT_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('60');
    expectError(await login('busy'), 502, 'WECHAT_UNAVAILABLE');
    expectError(await login('boom'), 502, 'WECHAT_UNAVAILABLE');
    expectError(await login('junk'), 502, 'WECHAT_UNAVAILABLE');
    const zh = await login('never-issued', {}, { 'accept-language': 'zh-CN' });
    expect(zh.data.message).toMatch(/^WECHAT_CODE_INVALID: 微信登录凭证无效/);
    expect(await userCount()).toBe(before);
    await t.rt.audit.flush();
    const failures = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select('reason')
      .where('event', '=', 'login.failure')
      .execute();
    expect(failures.map((f) => f.reason)).toEqual(
      expect.arrayContaining(['WECHAT_CODE_INVALID', 'WECHAT_CODE_USED', 'WECHAT_UNAVAILABLE']),
    );
  });

  it('a WeChat that never answers: 504 after the timeout, never a hang', async () => {
    const start = performance.now();
    const r = await login('hang');
    expectError(r, 504, 'WECHAT_TIMEOUT');
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('an unreachable WeChat: 502', async () => {
    const dead = await startFakeWechat();
    const url = dead.url;
    await dead.close();
    const t2 = await wechatServer(dead, { dialect: 'sqlite', config: { wechatApiBase: url } });
    try {
      expectError(await wxLogin(t2, 'any'), 502, 'WECHAT_UNAVAILABLE');
    } finally {
      await t2.close();
    }
  });

  it('bad input is a 400, never a 500', async () => {
    for (const body of [{}, { code: '' }, { code: 'a'.repeat(129) }, { code: 'a b' }])
      expectError(
        await t.call('POST', '/api/public/auth/wechat/login', { body }),
        400,
        'VALIDATION_FAILED',
      );
    expectError(await login('x', { app_id: '../etc' }), 400, 'VALIDATION_FAILED');
  });

  it('the session_key never reaches a client nor the database', async () => {
    expect(fake.sessionKeys.length).toBeGreaterThan(3);
    const everything = bodies.join('\n') + (await dump(t));
    for (const k of fake.sessionKeys) expect(everything).not.toContain(k);
    expect(everything).not.toContain('session_key');
  });

  it('a token of the WeChat login is an ordinary one: logout ends it', async () => {
    const r = await login(fake.code(APP, person()));
    const token = r.data.data.access_token as string;
    expect(await me(t, token)).toBe('OK');
    await t.call('POST', '/api/public/auth/logout', { token });
    expect(await me(t, token)).not.toBe('OK');
  });
});

describe('WeChat not configured', () => {
  it('answers 404 WECHAT_NOT_CONFIGURED, not 500', async () => {
    const fake = await startFakeWechat();
    const t = await wechatServer(fake, { dialect: 'sqlite', env: false });
    try {
      expectError(await wxLogin(t, 'any'), 404, 'WECHAT_NOT_CONFIGURED');
      const token = (await t.adminToken()) as string;
      expectError(
        await t.call('POST', '/api/auth/wechat/phone', { token, body: { code: 'x' } }),
        404,
        'WECHAT_NOT_CONFIGURED',
      );
      expect(fake.calls.session).toBe(0);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
