/**
 * Issue 6: the brute-force policy end to end, captchas and locks: a captcha
 * after failures, its single use, purpose and expiry, the lock and an admin's
 * unlock, unknown accounts treated like real ones, and the two lockout modes.
 * Embedded mode (SQLite, memory counters), time driven by a ManualClock: no
 * test sleeps.
 * @see docs/decisions/0006-brute-force-and-audit.md
 */
import { describe, expect, it } from 'vitest';
import { loginFrom, solveCaptcha } from './brute-force.test-support.js';
import { A, B, MIN, PW, useServers } from './embedded.test-support.js';

const start = useServers();

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
});
