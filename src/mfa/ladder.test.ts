/**
 * Wrong second-factor codes are refused attempts: the brute-force ladder of
 * the account and the IP counts them exactly like wrong passwords (captcha,
 * then the lock), a locked account is refused at verify too, and the count
 * is not cleared by a good password alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solveCaptcha } from '../brute-force/brute-force.test-support.js';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { expectError } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { havePostgres, haveRedis } from '../test-support/services.js';
import { totpCode } from './codes.js';
import { auditRows, enrolled, login } from './mfa.test-support.js';

describe.each(dialects())('second factor and the brute-force ladder (%s)', (dialect) => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const verify = (mfa_ticket: string, code: string, captcha?: string) =>
    t.call('POST', '/api/public/auth/mfa/verify', { body: { mfa_ticket, code, captcha } });

  beforeAll(async () => {
    t = await createTestServer({
      dialect,
      clock,
      config: { captchaAfterFailures: 1000, lockAfterFailures: 3, lockSeconds: 600 },
    });
  });
  afterAll(() => t?.close());

  it('wrong codes in one call lock the account, though each came with the right password', async () => {
    const { secret } = await enrolled(t, clock, 'lock1');
    for (let i = 0; i < 3; i++)
      expectError(await login(t, 'lock1', { mfa_code: '000000' }), 401, 'MFA_INVALID');
    expectError(
      await login(t, 'lock1', { mfa_code: totpCode(secret, clock.now()) }),
      423,
      'ACCOUNT_LOCKED',
    );
    const failures = (await auditRows(t, 'login.failure')).filter((e) => e.username === 'lock1');
    expect(failures.map((f) => f.reason)).toEqual([
      'mfa_invalid',
      'mfa_invalid',
      'mfa_invalid',
      'ACCOUNT_LOCKED',
    ]);
    expect((await auditRows(t, 'account.lock')).length).toBeGreaterThan(0);
    // The lock ends by the clock.
    clock.advance(601_000);
    expect((await login(t, 'lock1', { mfa_code: totpCode(secret, clock.now()) })).statusCode).toBe(
      200,
    );
  });

  it('wrong codes at verify lock the account; a locked account is refused at verify', async () => {
    const { secret } = await enrolled(t, clock, 'lock2');
    const r = await login(t, 'lock2');
    const ticket = r.data.data.mfa_ticket as string;
    const spare = (await login(t, 'lock2')).data.data.mfa_ticket as string;
    for (let i = 0; i < 3; i++) expectError(await verify(ticket, '111111'), 401, 'MFA_INVALID');
    expectError(await verify(spare, totpCode(secret, clock.now())), 423, 'ACCOUNT_LOCKED');
    expectError(await login(t, 'lock2'), 423, 'ACCOUNT_LOCKED');
    expect((await auditRows(t, 'mfa.failure')).filter((e) => e.username === 'lock2')).toHaveLength(
      3,
    );
  });

  it('the captcha step applies at verify as at the login', async () => {
    await t.close();
    t = await createTestServer({
      dialect,
      clock,
      config: { captchaAfterFailures: 2, lockAfterFailures: 1000 },
    });
    const { secret } = await enrolled(t, clock, 'capt');
    const ticket = (await login(t, 'capt')).data.data.mfa_ticket as string;
    for (let i = 0; i < 2; i++) expectError(await verify(ticket, '222222'), 401, 'MFA_INVALID');
    expectError(await verify(ticket, totpCode(secret, clock.now())), 400, 'CAPTCHA_REQUIRED');
    const ok = await verify(ticket, totpCode(secret, clock.now()), await solveCaptcha(t));
    expect(ok.statusCode, ok.body).toBe(200);
    // The whole login succeeded: the count is cleared.
    expect(
      (await login(t, 'capt', { mfa_code: totpCode(secret, clock.now() + 30_000) })).statusCode,
    ).toBe(200);
  });
});

describe.runIf(havePostgres() && haveRedis())(
  'the ladder across two nodes (PostgreSQL, Redis)',
  () => {
    let a: TestServer;
    let b: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const config = { captchaAfterFailures: 1000, lockAfterFailures: 3 };
    beforeAll(async () => {
      a = await createTestServer({ dialect: 'postgres', redis: true, clock, config });
      b = await createTestServer({
        dialect: 'postgres',
        redis: true,
        clock,
        config,
        join: a.shared,
      });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('wrong codes at verify on either node add up to the lock', async () => {
      const { secret } = await enrolled(a, clock, 'spread');
      const ticket = (await login(a, 'spread')).data.data.mfa_ticket as string;
      const wrong = (t: TestServer) =>
        t.call('POST', '/api/public/auth/mfa/verify', {
          body: { mfa_ticket: ticket, code: '333333' },
        });
      expectError(await wrong(a), 401, 'MFA_INVALID');
      expectError(await wrong(b), 401, 'MFA_INVALID');
      expectError(await wrong(a), 401, 'MFA_INVALID');
      expectError(
        await login(b, 'spread', { mfa_code: totpCode(secret, clock.now()) }),
        423,
        'ACCOUNT_LOCKED',
      );
    });
  },
);
