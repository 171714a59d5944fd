/**
 * The phone number (issue 14 item 2): getPhoneNumber codes exchanged with
 * the app's access token, which is cached sealed in SQL, refreshed before it
 * expires by the injectable clock, by one node at a time.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { expectError } from '../test-support/auth-helpers.js';
import type { TestServer } from '../test-support/server.js';
import { startFakeWechat, type FakeWechat } from './fake-wechat.test-support.js';
import { APP, userIdOf, wechatServer, wxLogin } from './wechat.test-support.js';

const MIN = 60_000;
let seq = 0;
const person = () => ({ openid: `oP_${Date.now().toString(36)}_${(seq += 1)}` });
const masterKey = randomBytes(32).toString('base64');

describe.each(dialects())('WeChat phone number and the access token (%s)', (dialect) => {
  let fake: FakeWechat;
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const phone = (token: string, code: string, app_id?: string) =>
    t.call('POST', '/api/auth/wechat/phone', {
      token,
      body: { code, ...(app_id ? { app_id } : {}) },
    });
  const tokenRow = (appId = APP) =>
    t.rt.db.kysely
      .selectFrom('wechat_apps')
      .selectAll()
      .where('app_id', '=', appId)
      .executeTakeFirstOrThrow();
  /** Forgets the cached token of an app, as if it had never been fetched. */
  const forget = (appId = APP) =>
    t.rt.db.kysely
      .updateTable('wechat_apps')
      .set({ access_token: null, token_expires_at: null })
      .where('app_id', '=', appId)
      .execute();
  let token: string;
  const someone = person();
  /** A fresh Tessera access token (moving the clock by hours expires the last one). */
  const relogin = async () => {
    const w = await wxLogin(t, fake.code(APP, someone));
    token = w.data.data.access_token as string;
  };

  beforeAll(async () => {
    fake = await startFakeWechat();
    t = await wechatServer(fake, { dialect, clock, config: { masterKey } });
    await relogin();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('stores the number on the user; the access token is fetched once and kept sealed', async () => {
    const before = fake.calls.token;
    const r = await phone(token, fake.phoneCode('13800138000'));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.data.data).toEqual({ phone_number: '13800138000' });
    expect((await t.rt.users.byId(await userIdOf(t, token)))!.phone_number).toBe('13800138000');
    expect((await phone(token, fake.phoneCode('13900139000'))).statusCode).toBe(200);
    expect(fake.calls.token - before).toBe(1);
    const row = await tokenRow();
    expect(row.access_token).toMatch(/^tsl1:/);
    expect(row.access_token).not.toContain('AT_');
    expect(r.body).not.toContain('AT_');
    expectError(await phone(token, 'never-issued'), 401, 'WECHAT_CODE_INVALID');
    expectError(await phone(token, 'busy'), 502, 'WECHAT_UNAVAILABLE');
  });

  it('refreshed before it expires (by the clock), not after each call', async () => {
    await forget();
    await phone(token, fake.phoneCode('13800000001'));
    const fetched = fake.calls.token;
    // 2 h tokens, replaced in their last 5 minutes.
    clock.advance(120 * MIN - 6 * MIN);
    await relogin();
    expect((await phone(token, fake.phoneCode('13800000002'))).statusCode).toBe(200);
    expect(fake.calls.token).toBe(fetched);
    clock.advance(2 * MIN);
    expect((await phone(token, fake.phoneCode('13800000003'))).statusCode).toBe(200);
    expect(fake.calls.token).toBe(fetched + 1);
    expect((await phone(token, fake.phoneCode('13800000004'))).statusCode).toBe(200);
    expect(fake.calls.token).toBe(fetched + 1);
  });

  it('a token WeChat refuses early is dropped and replaced once', async () => {
    await relogin();
    const fetched = fake.calls.token;
    fake.opts.rejectTokenOnce = true;
    const r = await phone(token, fake.phoneCode('13800000005'));
    expect(r.statusCode, r.body).toBe(200);
    expect(fake.calls.token).toBe(fetched + 1);
  });

  it('concurrent requests needing a new token make ONE token call', async () => {
    await forget();
    await relogin();
    fake.opts.tokenDelayMs = 150;
    try {
      const fetched = fake.calls.token;
      const all = await Promise.all(
        Array.from({ length: 5 }, (_, i) => phone(token, fake.phoneCode(`1380000001${i}`))),
      );
      expect(all.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
      expect(fake.calls.token).toBe(fetched + 1);
    } finally {
      fake.opts.tokenDelayMs = 0;
    }
  });

  it('phone_code in the login body stores the number; a bad one does not undo the login', async () => {
    const r = await wxLogin(t, fake.code(APP, person()), {
      phone_code: fake.phoneCode('13700137000'),
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.data.data.phone_error).toBeUndefined();
    const user = await t.rt.users.byId(await userIdOf(t, r.data.data.access_token));
    expect(user!.phone_number).toBe('13700137000');
    const bad = await wxLogin(t, fake.code(APP, person()), { phone_code: 'never-issued' });
    expect(bad.statusCode, bad.body).toBe(200);
    expect(bad.data.data.phone_error).toBe('WECHAT_CODE_INVALID');
  });

  it("a tenant app's AppSecret is sealed at rest and never shown", async () => {
    await relogin();
    const admin = await t.adminToken();
    const secret = `s3cret-${randomBytes(8).toString('hex')}`;
    fake.app('wxsealed00000003', secret);
    const put = await t.call('PUT', '/api/admin/wechat/apps/wxsealed00000003', {
      token: admin,
      body: { secret },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.body).not.toContain(secret);
    const row = await tokenRow('wxsealed00000003');
    expect(row.secret).toMatch(/^tsl1:/);
    expect(row.secret).not.toContain(secret);
    // It works: the phone route of that app fetches its own token with it.
    const r = await phone(token, fake.phoneCode('13600136000'), 'wxsealed00000003');
    expect(r.statusCode, r.body).toBe(200);
  });
});

describe.each(dialects().filter((d) => d === 'postgres'))(
  'one token refresh across two nodes (%s)',
  (dialect) => {
    let fake: FakeWechat;
    let a: TestServer;
    let b: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    beforeAll(async () => {
      fake = await startFakeWechat();
      a = await wechatServer(fake, { dialect, clock, config: { masterKey } });
      b = await wechatServer(fake, { dialect, clock, config: { masterKey }, join: a.shared });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
      await fake?.close();
    });

    it('six requests on two nodes at once, an expiring token: one stable_token call', async () => {
      const pa = person();
      const pb = person();
      const tokenOn = async (t: TestServer, p: typeof pa) =>
        (await wxLogin(t, fake.code(APP, p))).data.data.access_token as string;
      let ta = await tokenOn(a, pa);
      const call = (t: TestServer, tok: string, n: string) =>
        t.call('POST', '/api/auth/wechat/phone', { token: tok, body: { code: fake.phoneCode(n) } });
      expect((await call(a, ta, '13500000000')).statusCode).toBe(200);
      expect(fake.calls.token).toBe(1);
      // Close to expiry now, and a slow WeChat: every request sees a token to refresh.
      clock.advance(118 * MIN);
      ta = await tokenOn(a, pa);
      const tb = await tokenOn(b, pb);
      fake.opts.tokenDelayMs = 200;
      const all = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 2 ? call(a, ta, `1350000001${i}`) : call(b, tb, `1350000001${i}`),
        ),
      );
      expect(all.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(fake.calls.token).toBe(2);
    });
  },
);
