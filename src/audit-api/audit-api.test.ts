/** The audit trail: who, from where, on which device, for every listed event; the admin API; retention. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const PW = 'a-strong-passphrase';
const IP = '198.51.100.44';
const UA = 'AuditBrowser/2';
const DAY = 86_400_000;

describe('audit log', () => {
  const clock = new ManualClock();
  let t: TestServer;
  let admin: string;
  const req = (method: string, url: string, payload?: object, token?: string) =>
    t.app.inject({
      method: method as 'GET',
      url,
      remoteAddress: IP,
      headers: {
        'user-agent': UA,
        'x-device-id': 'dev-42',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    t = await createTestServer({
      clock,
      config: { captchaAfterFailures: 2, lockAfterFailures: 3 },
    });
    admin = await t.adminToken();
    await t.register('pia');
    // One of everything.
    await req('POST', '/api/public/auth/login', { username: 'pia', password: 'wrong' });
    const s1 = JSON.parse(
      (await req('POST', '/api/public/auth/login', { username: 'pia', password: PW })).body,
    ).data;
    const s2 = JSON.parse(
      (await req('POST', '/api/public/auth/login', { username: 'pia', password: PW })).body,
    ).data;
    const r = JSON.parse(
      (await req('POST', '/api/public/auth/refresh', { refresh_token: s1.refresh_token })).body,
    ).data;
    await req('POST', '/api/public/auth/refresh', { refresh_token: s1.refresh_token }); // reuse
    const sessions = JSON.parse(
      (await req('GET', '/api/auth/sessions', undefined, s2.access_token)).body,
    ).data as { id: string; current: boolean }[];
    await req(
      'POST',
      '/api/auth/password',
      { current_password: PW, new_password: 'another-strong-passphrase' },
      s2.access_token,
    );
    void r;
    void sessions;
    await req('POST', '/api/public/auth/logout', undefined, s2.access_token);
    for (let i = 0; i < 3; i++)
      await req('POST', '/api/public/auth/login', {
        username: 'pia',
        password: 'wrong',
        captcha: 'not-a-solution',
      });
    await t.rt.settings.update({ captchaAfterFailures: 100 });
    for (let i = 0; i < 3; i++)
      await req('POST', '/api/public/auth/login', { username: 'pia', password: 'wrong' });
    const id = (await t.rt.users.byLoginName('pia'))!.id;
    await req('POST', `/api/admin/users/${id}/unlock`, undefined, admin);
    await req('POST', `/api/admin/users/${id}/logout`, undefined, admin);
    await t.rt.audit.flush();
  });
  afterAll(() => t?.close());

  it('records every listed event with user, IP, user agent, device and time', async () => {
    const rows = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('ip', '=', IP)
      .execute();
    const events = new Set(rows.map((r) => r.event));
    for (const e of [
      'login.failure',
      'login.success',
      'refresh',
      'refresh.reuse',
      'session.end',
      'password.change',
      'logout',
      'captcha.failure',
      'account.lock',
      'admin.user.unlock',
      'admin.user.force_logout',
      'alert.refresh_reuse',
      'alert.account_locked',
    ]) {
      expect(events, e).toContain(e);
    }
    for (const r of rows) {
      expect(r.user_agent, r.event).toBe(UA);
      expect(r.device_id, r.event).toBe('dev-42');
      expect(Number(r.at)).toBeGreaterThan(0);
      if (!['captcha.failure', 'alert.credential_stuffing'].includes(r.event))
        expect(r.user_id ?? r.actor_id, r.event).not.toBeNull();
    }
    const reasons = rows.filter((r) => r.event === 'login.failure').map((r) => r.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['bad_password', 'CAPTCHA_FAILED', 'ACCOUNT_LOCKED']),
    );
  });

  it('GET /api/admin/audit filters, pages newest first, needs audit:read', async () => {
    const pia = (await t.rt.users.byLoginName('pia'))!;
    const get = async (qs: string, token = admin) =>
      t.call('GET', `/api/admin/audit?${qs}`, { token });
    const all = await get(`user_id=${pia.id}&page_size=5`);
    expect(all.statusCode).toBe(200);
    expect(all.data.data.items).toHaveLength(5);
    expect(all.data.data.total).toBeGreaterThan(5);
    const ats = all.data.data.items.map((i: { at: number; id: number }) => i.id);
    expect([...ats].sort((a, b) => b - a)).toEqual(ats);
    const p2 = await get(`user_id=${pia.id}&page_size=5&page=2`);
    expect(p2.data.data.items[0].id).toBeLessThan(ats[4]);
    const logins = await get(`event=login.*&ip=${IP}`);
    expect(new Set(logins.data.data.items.map((i: { event: string }) => i.event))).toEqual(
      new Set(['login.success', 'login.failure']),
    );
    expect(
      (await get('event=login.success')).data.data.items.every(
        (i: { event: string }) => i.event === 'login.success',
      ),
    ).toBe(true);
    const now = clock.now();
    expect((await get(`from=${now + 1}`)).data.data.total).toBe(0);
    expect(
      (await get(`to=${new Date(now + 1).toISOString()}&event=admin.`)).data.data.total,
    ).toBeGreaterThan(0);
    expect((await get('from=yesterday')).data.error).toBe('VALIDATION_FAILED');
    expect((await get('page_size=500')).statusCode).toBe(400);
    const data = (await get('event=account.lock')).data.data.items[0];
    expect(data.data).toMatchObject({ mode: 'account_ip', failures: 3 });
    await t.register('quinn');
    expect((await get('', (await t.login('quinn')).access_token)).statusCode).toBe(403);
    expect((await t.call('GET', '/api/admin/audit')).statusCode).toBe(401);
  });

  it('retention prunes rows older than auditRetentionDays, once per period across nodes', async () => {
    const k = t.rt.db.kysely;
    await t.rt.audit.flush();
    const before = Number(
      (
        await k
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    clock.advance(100 * DAY);
    t.rt.audit.record({ event: 'test.recent', outcome: 'info' });
    await t.rt.audit.flush();
    await t.rt.settings.update({ auditRetentionDays: 90 });
    const retention = t.rt.features.auditRetention!;
    expect(await retention.runOnce()).toBeGreaterThanOrEqual(before);
    const old = await k
      .selectFrom('audit_events')
      .select('id')
      .where('at', '<', clock.now() - 90 * DAY)
      .execute();
    expect(old).toHaveLength(0);
    // The lease: a second node (or tick) within the period does nothing.
    clock.advance(1000);
    expect(await retention.runOnce()).toBe(0);
    const left = await k.selectFrom('audit_events').select('event').execute();
    expect(left.map((r) => r.event)).toContain('test.recent');
    expect(left.length).toBeLessThan(5);
  });
});
