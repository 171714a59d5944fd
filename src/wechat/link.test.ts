/**
 * Binding and unbinding WeChat (issue 14 item 3), the second factor of a
 * WeChat login, the brute-force ladder and tenant isolation: a WeChat login
 * is a login like a password's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { totpCode } from '../mfa/codes.js';
import { enrolled } from '../mfa/mfa.test-support.js';
import { dialects } from '../test-support/db.js';
import { expectError } from '../test-support/auth-helpers.js';
import type { TestServer } from '../test-support/server.js';
import { startFakeWechat, type FakeWechat } from './fake-wechat.test-support.js';
import { APP, userIdOf, wechatServer, wxLogin } from './wechat.test-support.js';

let seq = 0;
const person = () => ({ openid: `oL_${Date.now().toString(36)}_${(seq += 1)}` });
const PW = 'a-strong-passphrase';

describe.each(dialects())('binding WeChat, and what a WeChat login shares (%s)', (dialect) => {
  let fake: FakeWechat;
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const bind = (token: string, code: string) =>
    t.call('POST', '/api/auth/wechat', { token, body: { code } });
  const unbind = (token: string, query = '') =>
    t.call('DELETE', `/api/auth/wechat${query}`, { token });

  beforeAll(async () => {
    fake = await startFakeWechat();
    t = await wechatServer(fake, { dialect, clock });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('a password user binds WeChat, logs in with it, unbinds it', async () => {
    await t.register('binder');
    const { access_token: token } = await t.login('binder');
    const p = person();
    const b = await bind(token, fake.code(APP, p));
    expect(b.statusCode, b.body).toBe(200);
    expect(b.data.data).toEqual({ app_id: APP, bound_at: expect.any(Number) });
    const w = await wxLogin(t, fake.code(APP, p));
    expect(w.statusCode, w.body).toBe(200);
    expect(w.data.data.new_user).toBe(false);
    const id = await userIdOf(t, token);
    expect(await userIdOf(t, w.data.data.access_token)).toBe(id);
    // Binding it again is no change.
    expect((await bind(token, fake.code(APP, p))).statusCode).toBe(200);
    const u = await unbind(token);
    expect(u.statusCode, u.body).toBe(200);
    expect(await t.rt.identities.list(id)).toEqual([]);
    expectError(await unbind(token), 404, 'NOT_FOUND');
    // Unbound, the same WeChat is someone new.
    const again = await wxLogin(t, fake.code(APP, p));
    expect(again.data.data.new_user).toBe(true);
    expect(await userIdOf(t, again.data.data.access_token)).not.toBe(id);
    await t.rt.audit.flush();
    const events = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select('event')
      .where('user_id', '=', id)
      .where('event', 'like', 'identity.%')
      .execute();
    expect(events.map((e) => e.event)).toEqual(['identity.link', 'identity.unlink']);
  });

  it('unbinding the last way to log in is refused: LAST_LOGIN_METHOD', async () => {
    const w = await wxLogin(t, fake.code(APP, person()));
    const token = w.data.data.access_token as string;
    expectError(await unbind(token), 409, 'LAST_LOGIN_METHOD');
    expectError(await unbind(token, `?app_id=${APP}`), 409, 'LAST_LOGIN_METHOD');
    expect(await t.rt.identities.list(await userIdOf(t, token))).toHaveLength(1);
  });

  it('binding a WeChat already bound to another user is refused: IDENTITY_IN_USE', async () => {
    const p = person();
    const owner = await wxLogin(t, fake.code(APP, p));
    expect(owner.statusCode).toBe(200);
    await t.register('thief');
    const { access_token: token } = await t.login('thief');
    expectError(await bind(token, fake.code(APP, p)), 409, 'IDENTITY_IN_USE');
    expectError(await bind(token, 'never-issued'), 401, 'WECHAT_CODE_INVALID');
    expectError(await bind('not-a-token', fake.code(APP, p)), 401, 'TOKEN_INVALID');
    expect(await t.rt.identities.list(await userIdOf(t, token))).toEqual([]);
  });

  it('a WeChat user with TOTP gets MFA_REQUIRED; verify resumes the same login', async () => {
    const { secret, token } = await enrolled(t, clock, 'wxmfa');
    const p = person();
    expect((await bind(token, fake.code(APP, p))).statusCode).toBe(200);
    const r = await wxLogin(t, fake.code(APP, p));
    expectError(r, 401, 'MFA_REQUIRED');
    expect(r.body).not.toContain('access_token');
    const v = await t.call('POST', '/api/public/auth/mfa/verify', {
      body: { mfa_ticket: r.data.data.mfa_ticket, code: totpCode(secret, clock.now()) },
    });
    expect(v.statusCode, v.body).toBe(200);
    expect(await userIdOf(t, v.data.data.access_token)).toBe(await userIdOf(t, token));
    await t.rt.audit.flush();
    const ok = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select('data')
      .where('event', '=', 'login.success')
      .where('username', '=', 'wxmfa')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(ok.data!)).toEqual({ method: 'wechat', second_factor: 'totp' });
    // The code in the login body works as for a password; a wrong one is MFA_INVALID.
    clock.advance(30_000);
    expectError(await wxLogin(t, fake.code(APP, p), { mfa_code: '000000' }), 401, 'MFA_INVALID');
    const one = await wxLogin(t, fake.code(APP, p), { mfa_code: totpCode(secret, clock.now()) });
    expect(one.statusCode, one.body).toBe(200);
  });

  it('a disabled user cannot log in with WeChat', async () => {
    const w = await wxLogin(t, fake.code(APP, { openid: 'oDisabled' }));
    const id = await userIdOf(t, w.data.data.access_token);
    await t.rt.accounts.update(id, { status: 'disabled' }, { actorId: null });
    expectError(await wxLogin(t, fake.code(APP, { openid: 'oDisabled' })), 403, 'ACCOUNT_DISABLED');
  });
});

describe.each(dialects())('the brute-force ladder and tenants (%s)', (dialect) => {
  let fake: FakeWechat;
  afterAll(() => fake?.close());
  beforeAll(async () => {
    fake = await startFakeWechat();
  });

  it('the per-IP login budget counts WeChat logins; a locked account is locked for WeChat too', async () => {
    const t = await wechatServer(fake, {
      dialect,
      config: {
        loginAttemptsPerIpPerHour: 6,
        lockAfterFailures: 3,
        lockoutMode: 'account',
        captchaAfterFailures: 1000,
      },
    });
    try {
      await t.register('locky');
      const { access_token: token } = await t.login('locky');
      const p = person();
      expect(
        (await t.call('POST', '/api/auth/wechat', { token, body: { code: fake.code(APP, p) } }))
          .statusCode,
      ).toBe(200);
      for (let i = 0; i < 3; i++)
        expectError(
          await t.call('POST', '/api/public/auth/login', {
            body: { username: 'locky', password: 'wrong-password-1' },
          }),
          401,
          'INVALID_CREDENTIALS',
        );
      expectError(await wxLogin(t, fake.code(APP, p)), 423, 'ACCOUNT_LOCKED');
      // Five attempts so far (a login, three failures, the locked one): one more is in the budget, then no more.
      expect((await wxLogin(t, fake.code(APP, person()))).statusCode).toBe(200);
      const over = await wxLogin(t, fake.code(APP, person()));
      expectError(over, 429, 'RATE_LIMITED');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('the login policy applies: `single` ends the earlier WeChat session', async () => {
    const t = await wechatServer(fake, { dialect, config: { loginPolicy: '*=single' } });
    try {
      const p = person();
      const first = (await wxLogin(t, fake.code(APP, p))).data.data.access_token as string;
      const second = await wxLogin(t, fake.code(APP, p));
      expect(second.statusCode, second.body).toBe(200);
      expectError(
        await t.call('GET', '/api/public/auth/me', { token: first }),
        401,
        'SESSION_ENDED',
      );
    } finally {
      await t.close();
    }
  });

  it('bad codes from one IP are cut off before they reach WeChat', async () => {
    const t = await wechatServer(fake, {
      dialect,
      config: { wechatExchangesPerIpPerMinute: 3 },
    });
    try {
      const before = fake.calls.session;
      for (let i = 0; i < 3; i++)
        expectError(await wxLogin(t, `bad${i}`), 401, 'WECHAT_CODE_INVALID');
      expectError(await wxLogin(t, 'bad4'), 429, 'RATE_LIMITED');
      expect(fake.calls.session - before).toBe(3);
    } finally {
      await t.close();
    }
  });

  it("tenant B has its own apps and users: the deployment's app is the default tenant's only", async () => {
    const t = await wechatServer(fake, { dialect });
    try {
      const root = await t.adminToken();
      const c = await t.call('POST', '/api/admin/tenants', {
        token: root,
        body: { id: 'beta', name: 'Beta', admin_username: 'beta-admin', admin_password: PW },
      });
      expect(c.statusCode, c.body).toBe(201);
      const inB = { 'x-tessera-tenant': 'beta' };
      const p = person();
      // No app of its own yet: the environment's is not Beta's.
      expectError(await wxLogin(t, fake.code(APP, p), {}, inB), 404, 'WECHAT_NOT_CONFIGURED');
      const bAdmin = await t.call('POST', '/api/public/auth/login', {
        body: { username: 'beta-admin', password: PW },
        headers: inB,
      });
      const bToken = bAdmin.data.data.access_token as string;
      // The same mini-program serving Beta too, registered by Beta's admin.
      const put = await t.call('PUT', `/api/admin/wechat/apps/${APP}`, {
        token: bToken,
        body: { secret: 'default-app-secret' },
        headers: inB,
      });
      expect(put.statusCode, put.body).toBe(200);
      const list = await t.call('GET', '/api/admin/wechat/apps', { token: bToken, headers: inB });
      expect(list.data.data.items).toEqual([
        {
          app_id: APP,
          source: 'tenant',
          created_at: expect.any(Number),
          updated_at: expect.any(Number),
        },
      ]);
      expect(list.body).not.toContain('default-app-secret');
      const rootList = await t.call('GET', '/api/admin/wechat/apps', { token: root });
      expect(rootList.data.data.items).toEqual([
        { app_id: APP, source: 'env', created_at: null, updated_at: null },
      ]);
      // One WeChat, two tenants: two users, each token good only in its tenant.
      const a = await wxLogin(t, fake.code(APP, p));
      const b = await wxLogin(t, fake.code(APP, p), {}, inB);
      expect(b.statusCode, b.body).toBe(200);
      expect(b.data.data.new_user).toBe(true);
      const meB = await t.call('GET', '/api/public/auth/me', {
        token: b.data.data.access_token,
        headers: inB,
      });
      expect(meB.data.data.userId).not.toBe(await userIdOf(t, a.data.data.access_token));
      expectError(
        await t.call('GET', '/api/public/auth/me', { token: b.data.data.access_token }),
        401,
        'TOKEN_INVALID',
      );
      // Beta's admin cannot touch the default tenant's environment app, nor the default tenant's list.
      expectError(
        await t.call('PUT', `/api/admin/wechat/apps/${APP}`, {
          token: root,
          body: { secret: 'x' },
        }),
        409,
        'CONFLICT',
      );
      expectError(
        await t.call('GET', '/api/admin/wechat/apps', { token: bToken }),
        401,
        'TOKEN_INVALID',
      );
      const del = await t.call('DELETE', `/api/admin/wechat/apps/${APP}`, {
        token: bToken,
        headers: inB,
      });
      expect(del.statusCode, del.body).toBe(200);
      expectError(await wxLogin(t, fake.code(APP, p), {}, inB), 404, 'WECHAT_NOT_CONFIGURED');
      expect((await wxLogin(t, fake.code(APP, p))).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
