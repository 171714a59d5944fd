import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../feature/contract.js';
import { ManualClock } from '../lib/clock.js';
import { startTestSmtp, type TestSmtp } from '../mail/smtp.test-support.js';
import { expectError, me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { redisUrl } from '../test-support/services.js';
import { lastToken, mailsTo, settle } from './credentials.test-support.js';

const PW = 'a-strong-passphrase';
const NEW_PW = 'a-brand-new-passphrase';

/** Issue 13 item 3: forgot → mail with link → reset; every session ends, the lockout clears. */
describe.each(dialects())('password reset (%s)', (dialect) => {
  let s: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  beforeAll(async () => {
    s = await createTestServer({
      dialect,
      clock,
      config: {
        publicUrl: 'https://auth.example.test/',
        lockAfterFailures: 3,
        captchaAfterFailures: 100,
        lockoutMode: 'account',
        forgotPerIpPerHour: 1000,
      },
    });
  });
  afterAll(() => s?.close());

  async function account() {
    const name = uname('rs');
    const email = `${name}@example.com`;
    await s.register(name, PW, email);
    return { name, email };
  }
  const forgot = (login: string, headers: Record<string, string> = {}) =>
    s.call('POST', '/api/public/auth/password/forgot', { body: { login }, headers });
  const reset = (token: string, new_password = NEW_PW) =>
    s.call('POST', '/api/public/auth/password/reset', { body: { token, new_password } });

  it('end to end: the link works once, every session and refresh family ends, the lockout clears', async () => {
    const { name, email } = await account();
    const a = await s.login(name);
    const b = await s.login(name);
    // Lock the account with wrong passwords: even the right one is refused now.
    for (let i = 0; i < 3; i++)
      await s.call('POST', '/api/public/auth/login', {
        body: { username: name, password: 'nope-nope-1' },
      });
    expectError(
      await s.call('POST', '/api/public/auth/login', { body: { username: name, password: PW } }),
      423,
      'ACCOUNT_LOCKED',
    );

    const r = await forgot(email);
    expect(r.statusCode).toBe(202);
    const mails = await mailsTo(s, email, 'password-reset');
    expect(mails).toHaveLength(1);
    const link = mails[0]!.link!;
    expect(`${link.origin}${link.pathname}`).toBe('https://auth.example.test/login/reset');
    expect(mails[0]!.text).toContain(name);
    expect(mails[0]!.text).toContain('30 minutes');
    const token = link.searchParams.get('token')!;
    expect(token).toMatch(/^[\w-]{43}$/);

    expect((await reset(token)).statusCode).toBe(200);
    // Every session ended, their refresh tokens refused.
    expect(await me(s, a.access_token)).toBe('SESSION_ENDED');
    expect(await me(s, b.access_token)).toBe('SESSION_ENDED');
    for (const t of [a, b])
      expectError(
        await s.call('POST', '/api/public/auth/refresh', {
          body: { refresh_token: t.refresh_token },
        }),
        401,
        'SESSION_ENDED',
      );
    // The old password is refused, the new one accepted (and the lock is gone).
    expectError(
      await s.call('POST', '/api/public/auth/login', { body: { username: name, password: PW } }),
      401,
      'INVALID_CREDENTIALS',
    );
    expect(await me(s, (await s.login(name, NEW_PW)).access_token)).toBe('OK');
    // Single use.
    expectError(await reset(token, 'yet-another-passphrase'), 401, 'TOKEN_INVALID');
    // The notice went out.
    expect(await mailsTo(s, email, 'password-changed')).toHaveLength(1);
    // The token is stored hashed only.
    const rows = await s.rt.db.kysely
      .selectFrom('credential_tokens')
      .select('token_hash')
      .execute();
    expect(rows.some((x) => x.token_hash === token)).toBe(false);
  });

  it('a reset kills the other outstanding reset links of the user', async () => {
    const { name, email } = await account();
    await forgot(email);
    const first = await lastToken(s, email, 'password-reset');
    await forgot(name);
    const second = await lastToken(s, email, 'password-reset');
    expect(second).not.toBe(first);
    expect((await reset(second)).statusCode).toBe(200);
    expectError(await reset(first, 'another-fresh-passphrase'), 401, 'TOKEN_INVALID');
  });

  it('an expired link answers TOKEN_EXPIRED; a made-up one TOKEN_INVALID', async () => {
    const { email } = await account();
    await forgot(email);
    const token = await lastToken(s, email, 'password-reset');
    clock.advance(31 * 60_000);
    expectError(await reset(token), 401, 'TOKEN_EXPIRED');
    expectError(await reset('A'.repeat(43)), 401, 'TOKEN_INVALID');
  });

  it('a weak new password is refused and leaves the link usable', async () => {
    const { name, email } = await account();
    await forgot(email);
    const token = await lastToken(s, email, 'password-reset');
    const weak = await reset(token, 'password123');
    expectError(weak, 400, 'PASSWORD_WEAK');
    expect((await reset(token)).statusCode).toBe(200);
    expect(await me(s, (await s.login(name, NEW_PW)).access_token)).toBe('OK');
  });

  it('the mail is in the language of the account, else of the request', async () => {
    const name = uname('lc');
    const email = `${name}@example.com`;
    const r = await s.call('POST', '/api/public/auth/register', {
      body: { username: name, email, password: PW, locale: 'zh-CN' },
    });
    expect(r.statusCode).toBe(201);
    await forgot(name, { 'accept-language': 'en' });
    expect((await mailsTo(s, email, 'password-reset'))[0]!.subject).toBe('重置您的密码');
    const other = await account();
    await forgot(other.name, { 'accept-language': 'zh-CN,zh;q=0.9' });
    expect((await mailsTo(s, other.email, 'password-reset'))[0]!.subject).toBe('重置您的密码');
    await forgot(other.name, { 'accept-language': 'en' });
    expect((await mailsTo(s, other.email, 'password-reset'))[1]!.subject).toBe(
      'Reset your password',
    );
  });

  it('answers alike for existing and unknown accounts, by username and by e-mail', async () => {
    const { name, email } = await account();
    const answers = await Promise.all(
      [name, email, 'nobody-here', 'nobody@example.com', 'x'].map(async (login) => {
        const r = await forgot(login);
        return { status: r.statusCode, body: r.body };
      }),
    );
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(202);
    await settle(s);
  });
});

describe('password reset: no enumeration by timing, rate limits', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({
      config: {
        forgotPerIpPerHour: 100_000,
        forgotPerAccountPerHour: 2,
        loginAttemptsPerIpPerHour: 100_000,
      },
    });
  });
  afterAll(() => s?.close());

  it('takes the same time whether or not the account exists (within 25 %)', async () => {
    const name = uname('tm');
    await s.register(name);
    const time = async (login: string) => {
      const t0 = performance.now();
      const r = await s.call('POST', '/api/public/auth/password/forgot', { body: { login } });
      const dt = performance.now() - t0;
      expect(r.statusCode).toBe(202);
      // Measure the answer, not the mail that follows it.
      await settle(s);
      return dt;
    };
    for (let i = 0; i < 20; i++) await time(i % 2 ? name : 'warm-up-nobody');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 200; i++) {
      known.push(await time(name));
      unknown.push(await time(`nobody-${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const [k, u] = [median(known), median(unknown)];
    expect(Math.abs(k - u) / Math.min(k, u), `known ${k} ms, unknown ${u} ms`).toBeLessThan(0.25);
  });

  it('per account: further requests answer alike and send nothing', async () => {
    const name = uname('pa');
    const email = `${name}@example.com`;
    await s.register(name, PW, email);
    const bodies = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await s.call('POST', '/api/public/auth/password/forgot', {
        body: { login: i % 2 ? email : name },
      });
      expect(r.statusCode).toBe(202);
      bodies.add(r.body);
      const unknown = await s.call('POST', '/api/public/auth/password/forgot', {
        body: { login: 'nobody-at-all' },
      });
      bodies.add(unknown.body);
    }
    expect(bodies.size).toBe(1);
    expect(await mailsTo(s, email, 'password-reset')).toHaveLength(2);
  });
});

describe.each(redisUrl ? [false, true] : [false])(
  'password reset: per-IP limit (redis: %s)',
  (redis) => {
    let s: TestServer;
    beforeAll(async () => {
      s = await createTestServer({ redis, config: { forgotPerIpPerHour: 3 } });
    });
    afterAll(() => s?.close());

    it('an address past its hourly budget gets 429, known account or not', async () => {
      const name = uname('ip');
      await s.register(name);
      const codes: number[] = [];
      for (const login of [name, 'nobody-1', name, 'nobody-2', name])
        codes.push(
          (await s.call('POST', '/api/public/auth/password/forgot', { body: { login } }))
            .statusCode,
        );
      expect(codes).toEqual([202, 202, 202, 429, 429]);
    });
  },
);

describe('password reset over SMTP', () => {
  let smtp: TestSmtp;
  let s: TestServer;
  beforeAll(async () => {
    smtp = await startTestSmtp();
    s = await createTestServer({
      config: {
        smtpUrl: smtp.url,
        mailFrom: 'Tessera <no-reply@example.com>',
        smtpTimeoutMs: 2000,
      },
    });
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  it('the mail reaches an SMTP server, and its link resets the password', async () => {
    const name = uname('sm');
    const email = `${name}@example.com`;
    await s.register(name, PW, email);
    await s.call('POST', '/api/public/auth/password/forgot', { body: { login: email } });
    await settle(s);
    await need(s.rt.features, 'mailQueue').drain();
    const got = smtp.received.find(
      (m) => m.to.includes(email) && m.subject === 'Reset your password',
    );
    expect(got, JSON.stringify(smtp.received.map((m) => [m.to, m.subject]))).toBeDefined();
    const token = /[?&]token=([\w-]+)/.exec(got!.text)![1]!;
    const r = await s.call('POST', '/api/public/auth/password/reset', {
      body: { token, new_password: NEW_PW },
    });
    expect(r.statusCode).toBe(200);
    expect(await me(s, (await s.login(name, NEW_PW)).access_token)).toBe('OK');
  });
});
