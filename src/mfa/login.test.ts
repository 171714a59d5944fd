/**
 * Logging in with a second factor (issue 13 item 2): the MFA_REQUIRED
 * challenge and its ticket, the one-call `mfa_code`, recovery codes, replay
 * refusal, drift, and what a ticket may and may not do.
 */
import { constants, publicEncrypt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { expectError, me } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { totpCode } from './codes.js';
import { auditRows, enrolled, login, nextStep, PW, STEP } from './mfa.test-support.js';

describe.each(dialects())('login with a second factor (%s)', (dialect) => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const verify = (mfa_ticket: string, code: string, headers: Record<string, string> = {}) =>
    t.call('POST', '/api/public/auth/mfa/verify', { body: { mfa_ticket, code }, headers });
  const ticketOf = async (username: string, extra: Record<string, unknown> = {}) => {
    const r = await login(t, username, extra);
    expectError(r, 401, 'MFA_REQUIRED');
    return r.data.data.mfa_ticket as string;
  };

  beforeAll(async () => {
    // High thresholds: the ladder has its own suite (ladder.test.ts).
    t = await createTestServer({
      dialect,
      clock,
      config: { captchaAfterFailures: 1000, lockAfterFailures: 1000 },
    });
  });
  afterAll(() => t?.close());

  it('two steps: MFA_REQUIRED with a ticket instead of tokens, then verify', async () => {
    const { secret } = await enrolled(t, clock, 'tess');
    const r = await login(t, 'tess');
    expectError(r, 401, 'MFA_REQUIRED');
    expect(r.data.data).toEqual({
      mfa_ticket: expect.stringMatching(/^[\w-]{43}$/),
      methods: ['totp', 'recovery_code'],
      expires_in: 300,
    });
    expect(r.body).not.toContain('access_token');
    const v = await verify(r.data.data.mfa_ticket, totpCode(secret, clock.now()));
    expect(v.statusCode, v.body).toBe(200);
    expect(v.data.data).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    expect(await me(t, v.data.data.access_token)).toBe('OK');
    const ok = (await auditRows(t, 'login.success')).filter((e) => e.username === 'tess');
    expect(JSON.parse(ok.at(-1)!.data!)).toEqual({ method: 'password', second_factor: 'totp' });
    // The ticket was used up.
    nextStep(clock);
    expectError(
      await verify(r.data.data.mfa_ticket, totpCode(secret, clock.now())),
      401,
      'MFA_TICKET_INVALID',
    );
  });

  it('one call: mfa_code in the login body', async () => {
    const { secret } = await enrolled(t, clock, 'uno');
    expectError(await login(t, 'uno', { mfa_code: '000000' }), 401, 'MFA_INVALID');
    const zh = await t.call('POST', '/api/public/auth/login', {
      body: { username: 'uno', password: 'a-strong-passphrase', mfa_code: '000000' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(zh.data.message).toBe('MFA_INVALID: 二次验证码错误');
    // An empty field is no code: the challenge, as without one.
    expectError(await login(t, 'uno', { mfa_code: '' }), 401, 'MFA_REQUIRED');
    const r = await login(t, 'uno', { mfa_code: totpCode(secret, clock.now()) });
    expect(r.statusCode, r.body).toBe(200);
    expect(await me(t, r.data.data.access_token)).toBe('OK');
  });

  it('a code is accepted once (MFA_CODE_REUSED), a later one again', async () => {
    const { secret } = await enrolled(t, clock, 'replay');
    const code = totpCode(secret, clock.now());
    expect((await login(t, 'replay', { mfa_code: code })).statusCode).toBe(200);
    expectError(await login(t, 'replay', { mfa_code: code }), 401, 'MFA_CODE_REUSED');
    expectError(await verify(await ticketOf('replay'), code), 401, 'MFA_CODE_REUSED');
    // The step before the one used is not accepted either.
    expectError(
      await login(t, 'replay', { mfa_code: totpCode(secret, clock.now() - STEP) }),
      401,
      'MFA_CODE_REUSED',
    );
    nextStep(clock);
    expect((await login(t, 'replay', { mfa_code: totpCode(secret, clock.now()) })).statusCode).toBe(
      200,
    );
  });

  it('drift: ±1 step is accepted, ±2 refused', async () => {
    const { secret } = await enrolled(t, clock, 'drift');
    nextStep(clock);
    const now = clock.now() + 1000;
    clock.set(now);
    expectError(
      await login(t, 'drift', { mfa_code: totpCode(secret, now - 2 * STEP) }),
      401,
      'MFA_INVALID',
    );
    expectError(
      await login(t, 'drift', { mfa_code: totpCode(secret, now + 2 * STEP) }),
      401,
      'MFA_INVALID',
    );
    expect((await login(t, 'drift', { mfa_code: totpCode(secret, now - STEP) })).statusCode).toBe(
      200,
    );
    nextStep(clock);
    expect(
      (await login(t, 'drift', { mfa_code: totpCode(secret, clock.now() + STEP) })).statusCode,
    ).toBe(200);
  });

  it('a recovery code logs in once; the count goes down; its use raises an alert', async () => {
    const { recovery, token } = await enrolled(t, clock, 'rick');
    const [first, second] = recovery;
    const v = await verify(await ticketOf('rick'), first!);
    expect(v.statusCode, v.body).toBe(200);
    expectError(await verify(await ticketOf('rick'), first!), 401, 'MFA_INVALID');
    // Case and dashes do not matter.
    const typed = second!.replace(/-/g, '').toLowerCase();
    expect((await login(t, 'rick', { mfa_code: typed })).statusCode).toBe(200);
    const st = await t.call('GET', '/api/auth/mfa', { token });
    expect(st.data.data.recovery_codes_left).toBe(8);
    const used = (await auditRows(t, 'mfa.recovery_code_used')).filter(
      (e) => e.username === 'rick',
    );
    expect(used).toHaveLength(2);
    const alerts = await auditRows(t, 'alert.mfa_recovery_code_used');
    expect(alerts.filter((a) => a.username === 'rick')).toHaveLength(2);
    const success = (await auditRows(t, 'login.success')).filter((e) => e.username === 'rick');
    expect(JSON.parse(success.at(-1)!.data!).second_factor).toBe('recovery_code');
  });

  it('a ticket is single use, even for two verifies at once', async () => {
    const { secret, recovery } = await enrolled(t, clock, 'twice');
    const ticket = await ticketOf('twice');
    const [a, b] = await Promise.all([
      verify(ticket, totpCode(secret, clock.now())),
      verify(ticket, recovery[0]!),
    ]);
    const codes = [a, b].map((r) => (r.statusCode === 200 ? 'OK' : r.data.error)).sort();
    expect(codes).toEqual(['MFA_TICKET_INVALID', 'OK']);
  });

  it('a ticket expires, dies after 5 wrong codes, and is bound to its user and device', async () => {
    const { secret } = await enrolled(t, clock, 'ticky');
    const other = await enrolled(t, clock, 'tocky');
    // Expiry (300 s).
    const old = await ticketOf('ticky');
    clock.advance(301_000);
    expectError(await verify(old, totpCode(secret, clock.now())), 401, 'MFA_TICKET_INVALID');
    // Five failures.
    const five = await ticketOf('ticky');
    for (let i = 0; i < 5; i++) expectError(await verify(five, '000000'), 401, 'MFA_INVALID');
    expectError(await verify(five, totpCode(secret, clock.now())), 401, 'MFA_TICKET_INVALID');
    // Another user's code does not answer this user's ticket.
    expectError(
      await verify(await ticketOf('ticky'), totpCode(other.secret, clock.now())),
      401,
      'MFA_INVALID',
    );
    // Bound to the device the login named.
    const dev = await ticketOf('ticky', { device_id: 'phone-1' });
    expectError(
      await verify(dev, totpCode(secret, clock.now()), { 'x-device-id': 'phone-2' }),
      401,
      'MFA_TICKET_INVALID',
    );
    const fine = await verify(dev, totpCode(secret, clock.now()), { 'x-device-id': 'phone-1' });
    expect(fine.statusCode, fine.body).toBe(200);
    // An invented ticket.
    expectError(await verify('x'.repeat(43), '123456'), 401, 'MFA_TICKET_INVALID');
  });

  it('a disabled account is refused at verify', async () => {
    const { secret } = await enrolled(t, clock, 'gone');
    const ticket = await ticketOf('gone');
    const admin = await t.adminToken();
    const id = (await t.rt.users.byLoginName('gone'))!.id;
    const d = await t.call('PATCH', `/api/admin/users/${id}`, {
      token: admin,
      body: { status: 'disabled' },
    });
    expect(d.statusCode, d.body).toBe(200);
    expectError(await verify(ticket, totpCode(secret, clock.now())), 403, 'ACCOUNT_DISABLED');
  });

  it('the customer-service /auth/login answers MFA_REQUIRED in its own shape', async () => {
    const { secret } = await enrolled(t, clock, 'kefu1');
    const r = await t.call('POST', '/auth/login', {
      body: { username: 'kefu1', password: 'a-strong-passphrase' },
    });
    expect(r.statusCode).toBe(401);
    expect(r.data).toEqual({
      success: false,
      message: expect.stringMatching(/^MFA_REQUIRED: /),
      error: 'MFA_REQUIRED',
      data: { mfa_ticket: expect.any(String), methods: ['totp', 'recovery_code'], expires_in: 300 },
    });
    // Its own verify answers its own login shape.
    const v = await t.call('POST', '/auth/mfa/verify', {
      body: { mfa_ticket: r.data.data.mfa_ticket, code: totpCode(secret, clock.now()) },
    });
    expect(v.statusCode, v.body).toBe(200);
    expect(v.data).toMatchObject({
      success: true,
      token: expect.any(String),
      data: { user: { username: 'kefu1' }, token_type: 'Bearer' },
    });
    const again = await t.call('POST', '/auth/mfa/verify', {
      body: { mfa_ticket: r.data.data.mfa_ticket, code: '123456' },
    });
    expect(again.data).toMatchObject({ success: false, error: 'MFA_TICKET_INVALID', data: null });
    // The /api verify completes it as well.
    nextStep(clock);
    const r2 = await t.call('POST', '/auth/login', {
      body: { username: 'kefu1', password: 'a-strong-passphrase' },
    });
    expect((await verify(r2.data.data.mfa_ticket, totpCode(secret, clock.now()))).statusCode).toBe(
      200,
    );
    nextStep(clock);
    const one = await t.call('POST', '/auth/login', {
      body: {
        username: 'kefu1',
        password: 'a-strong-passphrase',
        mfa_code: totpCode(secret, clock.now()),
      },
    });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.data).toMatchObject({ success: true, token: expect.any(String) });
    const bad = await t.call('POST', '/auth/login', {
      body: { username: 'kefu1', password: 'a-strong-passphrase', mfa_code: '000000' },
    });
    expect(bad.data).toMatchObject({ success: false, error: 'MFA_INVALID', data: null });
  });
});

describe('the encrypted login with a second factor', () => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  beforeAll(async () => {
    t = await createTestServer({ clock });
  });
  afterAll(() => t?.close());

  /** A one-time key; waits out 503 while the pool fills. */
  async function oneTimeKey(): Promise<{ key_id: string; public_key: string }> {
    for (let i = 0; ; i++) {
      const r = await t.call('GET', '/api/public/auth/public-key');
      if (r.statusCode !== 503 || i > 60) return r.data.data;
      await new Promise((res) => setTimeout(res, 500));
    }
  }
  const encrypt = (pem: string, text: string) =>
    publicEncrypt(
      { key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(text),
    ).toString('base64');

  it('the ticket remembers how the password came: login.success says rsa', async () => {
    const { secret } = await enrolled(t, clock, 'crypto');
    const k = await oneTimeKey();
    const r = await t.call('POST', '/api/public/auth/login', {
      body: { username: 'crypto', encryptedPassword: encrypt(k.public_key, PW), keyId: k.key_id },
    });
    expectError(r, 401, 'MFA_REQUIRED');
    const v = await t.call('POST', '/api/public/auth/mfa/verify', {
      body: { mfa_ticket: r.data.data.mfa_ticket, code: totpCode(secret, clock.now()) },
    });
    expect(v.statusCode, v.body).toBe(200);
    const ok = (await auditRows(t, 'login.success')).filter((e) => e.username === 'crypto');
    expect(JSON.parse(ok.at(-1)!.data!)).toEqual({ method: 'rsa', second_factor: 'totp' });
  });
});
