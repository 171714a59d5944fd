/**
 * Issue 6: the brute-force policy end to end, embedded mode (SQLite, memory
 * counters), time driven by a ManualClock: no test sleeps.
 * @see docs/decisions/0006-brute-force-and-audit.md
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { loginFrom, solveCaptcha } from './brute-force.test-support.js';

const PW = 'a-strong-passphrase';
const MIN = 60_000;
let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

async function start(config: Record<string, unknown> = {}, clock = new ManualClock()) {
  const t = await createTestServer({ clock, config });
  servers.push(t);
  return { t, clock };
}

const A = '198.51.100.7';
const B = '203.0.113.9';

describe('brute-force policy', () => {
  it('3 failures demand a captcha; a solved one lets the attempt through; a success resets the count', async () => {
    const { t } = await start();
    await t.register('alice');
    for (let i = 0; i < 3; i++)
      expect((await loginFrom(t, A, { username: 'alice', password: 'wrong' })).status).toBe(401);
    const need = await loginFrom(t, A, { username: 'alice', password: PW });
    expect(need.status).toBe(400);
    expect(need.body.error).toBe('CAPTCHA_REQUIRED');
    const ok = await loginFrom(t, A, {
      username: 'alice',
      password: PW,
      captcha: await solveCaptcha(t),
    });
    expect(ok.status).toBe(200);
    // The success reset the consecutive count: no captcha now.
    expect((await loginFrom(t, A, { username: 'alice', password: PW })).status).toBe(200);
  });

  it('a captcha is single use, bound to its purpose, and expires by the clock', async () => {
    const { t, clock } = await start({ captchaAfterFailures: 0 });
    await t.register('bob');
    const sol = await solveCaptcha(t);
    expect((await loginFrom(t, A, { username: 'bob', password: PW, captcha: sol })).status).toBe(
      200,
    );
    const replay = await loginFrom(t, A, { username: 'bob', password: PW, captcha: sol });
    expect([replay.status, replay.body.error]).toEqual([400, 'CAPTCHA_FAILED']);
    const forRegister = await loginFrom(t, A, {
      username: 'bob',
      password: PW,
      captcha: await solveCaptcha(t, 'register'),
    });
    expect(forRegister.body.error).toBe('CAPTCHA_FAILED');
    const late = await solveCaptcha(t);
    clock.advance(11 * MIN);
    expect(
      (await loginFrom(t, A, { username: 'bob', password: PW, captcha: late })).body.error,
    ).toBe('CAPTCHA_FAILED');
    expect(
      (await loginFrom(t, A, { username: 'bob', password: PW, captcha: 'garbage' })).body.error,
    ).toBe('CAPTCHA_FAILED');
    await t.rt.audit.flush();
    const rows = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select(['reason', 'ip'])
      .where('event', '=', 'captcha.failure')
      .execute();
    expect(rows.map((r) => r.reason).sort()).toEqual([
      'expired',
      'malformed',
      'replayed',
      'wrong_purpose',
    ]);
    expect(rows.every((r) => r.ip === A)).toBe(true);
  });

  it('10 failures lock for 15 minutes: the right password is refused, then accepted after the period', async () => {
    const { t, clock } = await start();
    await t.register('carol');
    for (let i = 0; i < 10; i++) {
      const captcha = i >= 3 ? await solveCaptcha(t) : undefined;
      expect(
        (await loginFrom(t, A, { username: 'carol', password: 'wrong', captcha })).status,
      ).toBe(401);
    }
    const locked = await loginFrom(t, A, {
      username: 'carol',
      password: PW,
      captcha: await solveCaptcha(t),
    });
    expect(locked.status).toBe(423);
    expect(locked.body.error).toBe('ACCOUNT_LOCKED');
    expect(locked.headers['retry-after']).toBe('900');
    clock.advance(14 * MIN);
    expect(
      (await loginFrom(t, A, { username: 'carol', password: PW, captcha: await solveCaptcha(t) }))
        .status,
    ).toBe(423);
    clock.advance(MIN);
    // Lock over; the account still wants a captcha until a success.
    expect((await loginFrom(t, A, { username: 'carol', password: PW })).body.error).toBe(
      'CAPTCHA_REQUIRED',
    );
    expect(
      (await loginFrom(t, A, { username: 'carol', password: PW, captcha: await solveCaptcha(t) }))
        .status,
    ).toBe(200);
    await t.rt.audit.flush();
    const lock = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', 'account.lock')
      .executeTakeFirstOrThrow();
    expect(lock.ip).toBe(A);
    expect(lock.user_id).not.toBeNull();
    expect(
      await t.rt.db.kysely
        .selectFrom('audit_events')
        .select('id')
        .where('event', '=', 'alert.account_locked')
        .execute(),
    ).toHaveLength(1);
  });

  it('an admin unlocks (users:write, audited); others may not', async () => {
    const { t } = await start({ captchaAfterFailures: 100, lockAfterFailures: 2 });
    await t.register('dave');
    await t.register('eve');
    for (let i = 0; i < 2; i++) await loginFrom(t, A, { username: 'dave', password: 'wrong' });
    expect((await loginFrom(t, A, { username: 'dave', password: PW })).status).toBe(423);
    const id = (await t.rt.users.byLoginName('dave'))!.id;
    const eve = (await t.login('eve')).access_token;
    expect((await t.call('POST', `/api/admin/users/${id}/unlock`, { token: eve })).statusCode).toBe(
      403,
    );
    const admin = await t.adminToken();
    expect(
      (await t.call('POST', '/api/admin/users/999999/unlock', { token: admin })).statusCode,
    ).toBe(404);
    const r = await t.call('POST', `/api/admin/users/${id}/unlock`, {
      token: admin,
      headers: { 'user-agent': 'console/1' },
    });
    expect(r.statusCode).toBe(200);
    expect((await loginFrom(t, A, { username: 'dave', password: PW })).status).toBe(200);
    await t.rt.audit.flush();
    const row = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', 'admin.user.unlock')
      .executeTakeFirstOrThrow();
    expect(row.user_id).toBe(id);
    expect(row.actor_id).not.toBeNull();
    expect(row.user_agent).toBe('console/1');
  });

  it('unknown accounts are counted, captcha-gated and locked exactly like real ones', async () => {
    const { t } = await start({ lockAfterFailures: 5 });
    await t.register('frank');
    const seq = async (username: string) => {
      const out: string[] = [];
      for (let i = 0; i < 7; i++) {
        const captcha = i >= 3 ? await solveCaptcha(t) : undefined;
        const r = await loginFrom(t, A, { username, password: 'wrong', captcha });
        out.push(`${r.status}:${r.body.error}:${JSON.stringify(r.headers['retry-after'] ?? null)}`);
      }
      out.push((await loginFrom(t, A, { username, password: 'wrong' })).body.error!);
      return out;
    };
    const real = await seq('frank');
    const ghost = await seq('nobody-here');
    expect(ghost).toEqual(real);
    expect(real.slice(-3)).toEqual([
      '423:ACCOUNT_LOCKED:"900"',
      '423:ACCOUNT_LOCKED:"900"',
      'ACCOUNT_LOCKED',
    ]);
  });

  it('account_ip mode (default) locks the pair: other IPs get a captcha, not a lock', async () => {
    const { t } = await start({ captchaAfterFailures: 3, lockAfterFailures: 4 });
    expect(t.rt.settings.get().lockoutMode).toBe('account_ip');
    await t.register('gina');
    for (let i = 0; i < 4; i++)
      await loginFrom(t, A, {
        username: 'gina',
        password: 'wrong',
        captcha: i >= 3 ? await solveCaptcha(t) : undefined,
      });
    expect(
      (await loginFrom(t, A, { username: 'gina', password: PW, captcha: await solveCaptcha(t) }))
        .status,
    ).toBe(423);
    expect((await loginFrom(t, B, { username: 'gina', password: PW })).body.error).toBe(
      'CAPTCHA_REQUIRED',
    );
    expect(
      (await loginFrom(t, B, { username: 'gina', password: PW, captcha: await solveCaptcha(t) }))
        .status,
    ).toBe(200);
    // The attacker's pair stays locked after the owner's success elsewhere.
    expect((await loginFrom(t, A, { username: 'gina', password: PW })).status).toBe(423);
  });

  it('account mode locks the account for every IP', async () => {
    const { t } = await start({
      lockoutMode: 'account',
      captchaAfterFailures: 100,
      lockAfterFailures: 3,
    });
    await t.register('hugo');
    for (let i = 0; i < 3; i++) await loginFrom(t, A, { username: 'hugo', password: 'wrong' });
    expect((await loginFrom(t, B, { username: 'hugo', password: PW })).status).toBe(423);
  });

  it('the 101st login attempt from one IP within an hour is refused (429, Retry-After)', async () => {
    // captchaAfterFailures 0: every attempt without a captcha is refused before any hashing, yet
    // counts as an attempt; the budget is about attempts, whatever their outcome.
    const { t, clock } = await start({ captchaAfterFailures: 0 });
    await t.register('ivan');
    for (let i = 0; i < 100; i++) {
      const r = await loginFrom(t, A, { username: i % 2 ? 'ivan' : `other${i}`, password: PW });
      expect(r.body.error).toBe('CAPTCHA_REQUIRED');
      clock.advance(1000);
    }
    const r = await loginFrom(t, A, {
      username: 'ivan',
      password: PW,
      captcha: await solveCaptcha(t),
    });
    expect([r.status, r.body.error]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(3000);
    // Another IP is unaffected; the first one gets in again once the hour has slid by.
    expect(
      (await loginFrom(t, B, { username: 'ivan', password: PW, captcha: await solveCaptcha(t) }))
        .status,
    ).toBe(200);
    clock.advance(Number(r.headers['retry-after']) * 1000);
    expect(
      (await loginFrom(t, A, { username: 'ivan', password: PW, captcha: await solveCaptcha(t) }))
        .status,
    ).toBe(200);
  });

  it('failures on many accounts from one IP: a credential-stuffing alert, then captcha for that IP', async () => {
    const { t } = await start();
    await t.register('judy');
    for (let i = 0; i < 10; i++)
      await loginFrom(t, A, { username: `victim${i}`, password: 'guess' });
    expect((await loginFrom(t, A, { username: 'judy', password: PW })).body.error).toBe(
      'CAPTCHA_REQUIRED',
    );
    expect((await loginFrom(t, B, { username: 'judy', password: PW })).status).toBe(200);
    await t.rt.audit.flush();
    const alerts = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', 'alert.credential_stuffing')
      .execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.ip).toBe(A);
  });

  it('every public endpoint has a per-IP request budget', async () => {
    const { t } = await start();
    let last = 0;
    let retry: string | string[] | undefined;
    for (let i = 0; i < 121; i++) {
      const r = await t.app.inject({
        method: 'GET',
        url: '/api/public/captcha/challenge',
        remoteAddress: A,
      });
      last = r.statusCode;
      retry = r.headers['retry-after'];
    }
    expect(last).toBe(429);
    expect(Number(retry)).toBeGreaterThan(0);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/api/public/captcha/challenge',
          remoteAddress: B,
        })
      ).statusCode,
    ).toBe(200);
  });
});

describe('client IP and X-Forwarded-For', () => {
  it('a forged X-Forwarded-For from an untrusted peer changes nothing', async () => {
    const { t } = await start({ loginAttemptsPerIpPerHour: 5, trustProxy: [] });
    await t.register('kim');
    for (let i = 0; i < 5; i++)
      expect(
        (
          await loginFrom(
            t,
            A,
            { username: 'kim', password: PW },
            { 'x-forwarded-for': `10.9.9.${i}` },
          )
        ).status,
      ).toBe(200);
    expect(
      (await loginFrom(t, A, { username: 'kim', password: PW }, { 'x-forwarded-for': '10.9.9.99' }))
        .status,
    ).toBe(429);
    await t.rt.audit.flush();
    const ips = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select('ip')
      .where('event', 'like', 'login.%')
      .execute();
    expect(new Set(ips.map((r) => r.ip))).toEqual(new Set([A]));
  });

  it('X-Forwarded-For from a configured trusted proxy is honoured', async () => {
    const proxy = '10.0.0.2';
    const { t } = await start({ loginAttemptsPerIpPerHour: 5, trustProxy: ['10.0.0.0/8'] });
    await t.register('lea');
    for (let i = 0; i < 5; i++)
      expect(
        (await loginFrom(t, proxy, { username: 'lea', password: PW }, { 'x-forwarded-for': A }))
          .status,
      ).toBe(200);
    expect(
      (await loginFrom(t, proxy, { username: 'lea', password: PW }, { 'x-forwarded-for': A }))
        .status,
    ).toBe(429);
    expect(
      (await loginFrom(t, proxy, { username: 'lea', password: PW }, { 'x-forwarded-for': B }))
        .status,
    ).toBe(200);
    // A client cannot prepend its own entry: the rightmost untrusted address counts.
    expect(
      (
        await loginFrom(
          t,
          proxy,
          { username: 'lea', password: PW },
          { 'x-forwarded-for': `${B}, ${A}` },
        )
      ).status,
    ).toBe(429);
    // An untrusted peer's header is still ignored.
    expect(
      (
        await loginFrom(
          t,
          '192.0.2.50',
          { username: 'lea', password: PW },
          { 'x-forwarded-for': B },
        )
      ).status,
    ).toBe(200);
  });

  it('over a real socket: the peer address counts, a forged header does not', async () => {
    const { t } = await start({ loginAttemptsPerIpPerHour: 2, trustProxy: [] });
    await t.register('max');
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const post = (xff: string) =>
      fetch(`${base}/api/public/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
        body: JSON.stringify({ username: 'max', password: PW }),
      });
    expect((await post('1.1.1.1')).status).toBe(200);
    expect((await post('2.2.2.2')).status).toBe(200);
    const r = await post('3.3.3.3');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    await t.rt.audit.flush();
    const ips = await t.rt.db.kysely
      .selectFrom('audit_events')
      .select('ip')
      .where('event', 'like', 'login.%')
      .execute();
    expect(new Set(ips.map((x) => x.ip))).toEqual(new Set(['127.0.0.1']));
  });
});
