/**
 * Issue 6: the brute-force policy end to end, budgets per client IP: login
 * attempts per hour, the credential-stuffing alert, the request budget of
 * every public endpoint, and which address counts behind X-Forwarded-For.
 * Embedded mode (SQLite, memory counters), time driven by a ManualClock: no
 * test sleeps.
 * @see docs/decisions/0006-brute-force-and-audit.md
 */
import { describe, expect, it } from 'vitest';
import { loginFrom, solveCaptcha } from './brute-force.test-support.js';
import { A, B, PW, useServers } from './embedded.test-support.js';

const start = useServers();

describe('brute-force policy', () => {
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
