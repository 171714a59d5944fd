import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createUser, expectError, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { lastToken, mailsTo } from './credentials.test-support.js';

const PW = 'a-strong-passphrase';

/** Issue 13 item 4: e-mail verification at register and on a change of address. */
describe.each(dialects())('e-mail verification (%s)', (dialect) => {
  let s: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  beforeAll(async () => {
    s = await createTestServer({
      dialect,
      clock,
      config: { emailVerification: 'required', verificationMailsPerHour: 3 },
    });
  });
  afterAll(() => s?.close());

  const login = (username: string, password = PW) =>
    s.call('POST', '/api/public/auth/login', { body: { username, password } });
  const verify = (token: string) =>
    s.call('POST', '/api/public/auth/email/verify', { body: { token } });
  const setMode = async (mode: string) => {
    const r = await s.call('PATCH', '/api/admin/settings', {
      token: await s.adminToken(),
      body: { emailVerification: mode },
    });
    expect(r.statusCode, r.body).toBe(200);
  };

  async function registered() {
    const name = uname('ev');
    const email = `${name}@example.com`;
    await s.register(name, PW, email);
    return { name, email };
  }

  it('required: the login is refused after a correct password only, until the address is proven', async () => {
    const { name, email } = await registered();
    const mails = await mailsTo(s, email, 'email-verification');
    expect(mails).toHaveLength(1);
    const link = mails[0]!.link!;
    expect(link.pathname).toBe('/login/verify');
    // A wrong password still says only INVALID_CREDENTIALS: nothing about the account.
    expectError(await login(name, 'not-the-password'), 401, 'INVALID_CREDENTIALS');
    expectError(await login('nobody-at-all', 'not-the-password'), 401, 'INVALID_CREDENTIALS');
    expectError(await login(name), 403, 'EMAIL_NOT_VERIFIED');
    const token = link.searchParams.get('token')!;
    expect((await verify(token)).statusCode).toBe(200);
    expect((await login(name)).statusCode).toBe(200);
    // Single use.
    expectError(await verify(token), 401, 'TOKEN_INVALID');
  });

  it('a refused login sends a fresh link; the links expire', async () => {
    const { name, email } = await registered();
    expectError(await login(name), 403, 'EMAIL_NOT_VERIFIED');
    expect(await mailsTo(s, email, 'email-verification')).toHaveLength(2);
    const token = await lastToken(s, email, 'email-verification');
    clock.advance(49 * 3_600_000);
    expectError(await verify(token), 401, 'TOKEN_EXPIRED');
  });

  it('optional lets the unverified in; off sends no mail', async () => {
    await setMode('optional');
    try {
      const a = await registered();
      expect((await login(a.name)).statusCode).toBe(200);
      expect(await mailsTo(s, a.email, 'email-verification')).toHaveLength(1);
      await setMode('off');
      const b = await registered();
      expect((await login(b.name)).statusCode).toBe(200);
      expect(await mailsTo(s, b.email, 'email-verification')).toHaveLength(0);
    } finally {
      await setMode('required');
    }
  });

  it('resend: a new mail for the logged-in caller, rate limited per account', async () => {
    await setMode('optional');
    try {
      const { name, email } = await registered();
      const t = (await s.login(name)).access_token;
      const send = () => s.call('POST', '/api/auth/email/verification', { token: t });
      // Register's mail counted: two more fit the hourly budget of 3.
      expect((await send()).statusCode).toBe(202);
      expect((await send()).statusCode).toBe(202);
      const limited = await send();
      expectError(limited, 429, 'RATE_LIMITED');
      expect(limited.headers['retry-after']).toBeDefined();
      expect(await mailsTo(s, email, 'email-verification')).toHaveLength(3);
      // Once proven, there is nothing to resend.
      expect((await verify(await lastToken(s, email, 'email-verification'))).statusCode).toBe(200);
      const other = await registered();
      const t2 = (await s.login(other.name)).access_token;
      await verify(await lastToken(s, other.email, 'email-verification'));
      expectError(
        await s.call('POST', '/api/auth/email/verification', { token: t2 }),
        409,
        'CONFLICT',
      );
    } finally {
      await setMode('required');
    }
  });

  it('an administrator changing the address makes it unverified again; an old link does not prove the new one', async () => {
    const admin = await s.adminToken();
    const { name, email } = await registered();
    const oldToken = await lastToken(s, email, 'email-verification');
    const id = (await s.call('GET', `/api/admin/users?search=${name}`, { token: admin })).data.data
      .items[0].id as number;
    const next = `new-${email}`;
    const r = await s.call('PATCH', `/api/admin/users/${id}`, {
      token: admin,
      body: { email: next },
    });
    expect(r.statusCode, r.body).toBe(200);
    expectError(await verify(oldToken), 401, 'TOKEN_INVALID');
    expectError(await login(name), 403, 'EMAIL_NOT_VERIFIED');
    expect((await verify(await lastToken(s, next, 'email-verification'))).statusCode).toBe(200);
    expect((await login(name)).statusCode).toBe(200);
    // Changed again after being proven: unverified again, and a mail goes to the new address.
    await s.call('PATCH', `/api/admin/users/${id}`, {
      token: admin,
      body: { email: `third-${email}` },
    });
    expectError(await login(name), 403, 'EMAIL_NOT_VERIFIED');
    // One mail for the change, one for the refused login.
    expect(await mailsTo(s, `third-${email}`, 'email-verification')).toHaveLength(2);
  });

  it('accounts without an e-mail have nothing to verify; admin-created ones with one are asked', async () => {
    const admin = await s.adminToken();
    const plain = uname('ne');
    await createUser(s, admin, { username: plain });
    expect((await login(plain)).statusCode).toBe(200);
    const withMail = uname('am');
    const r = await s.call('POST', '/api/admin/users', {
      token: admin,
      body: { username: withMail, password: PW, email: `${withMail}@example.com` },
    });
    expect(r.statusCode, r.body).toBe(201);
    expectError(await login(withMail), 403, 'EMAIL_NOT_VERIFIED');
    expect(await mailsTo(s, `${withMail}@example.com`, 'email-verification')).toHaveLength(2);
  });
});
