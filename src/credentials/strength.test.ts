import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../app/features.js';
import { ConfigError } from '../config/load.js';
import { weakPassword } from '../passwords/policy.js';
import { createPwnedCheck } from '../passwords/pwned.js';
import { strengthOf } from '../passwords/strength.js';
import { expectError, uname } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const LISTED = 'listed-in-a-breach-passphrase';

/** A local Pwned Passwords range API: LISTED is in it, with padding lines of count 0. */
async function fakeRangeServer(o: { hang?: boolean } = {}) {
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    asked.push(req.url ?? '');
    if (o.hang) return; // never answers: the caller's timeout must let the password through
    const sha1 = createHash('sha1').update(LISTED).digest('hex').toUpperCase();
    const prefix = (req.url ?? '').split('/').pop()!.toUpperCase();
    const lines = [
      '0123456789ABCDEF0123456789ABCDEF012:0',
      'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:3',
    ];
    if (prefix === sha1.slice(0, 5)) lines.push(`${sha1.slice(5)}:42`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    asked,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('password strength rules', () => {
  it('zxcvbn refuses guessable passwords below the minimum score, with a reason in both languages', () => {
    expect(weakPassword('monkey12345', 'alice', 2)).toMatchObject({
      reason: 'guessable',
      score: 1,
    });
    const w = weakPassword('Summer2024!', 'alice', 3)!;
    expect(w.reason).toBe('guessable');
    expect(w.en).toMatch(/too easy to guess: strength 2 of 4, at least 3 needed/);
    expect(w.zh).toMatch(/强度 2\/4/);
    expect(weakPassword('Summer2024!', 'alice', 2)).toBeNull();
    expect(weakPassword('a-strong-passphrase', 'alice', 4)).toBeNull();
    // The username is a dictionary word: a password built on it scores lower.
    expect(strengthOf('zorbquistfelm1', ['zorbquistfelm']).score).toBeLessThan(
      strengthOf('zorbquistfelm1').score,
    );
    // Score 0 asks zxcvbn nothing: the shipped list and the length rules remain.
    expect(weakPassword('monkey12345', 'alice', 0)).toBeNull();
    expect(weakPassword('password123', 'alice', 0)?.reason).toBe('common');
  });

  it('zxcvbn reads only the first 32 characters (the cut that bounds its cost; measured by scripts/measure-password-rules.mjs)', () => {
    for (const unit of ['aZ9!', 'abc1', 'Ab1!Cd2@Ef3#']) {
      const p = unit.repeat(64).slice(0, 128);
      expect(strengthOf(p)).toEqual(strengthOf(p.slice(0, 32)));
    }
    // What follows the first 32 characters changes nothing, however weak or strong.
    const head = 'correct horse battery staple 42!';
    expect(strengthOf(head + 'a'.repeat(96))).toEqual(strengthOf(head + 'Zq8#vL1@'.repeat(12)));
  });

  it('the first-run admin password follows the same rules', () => {
    expect(() => loadAppConfig({}, { adminPassword: 'monkey12345' })).toThrow(ConfigError);
    expect(() =>
      loadAppConfig({}, { adminPassword: 'monkey12345', passwordMinScore: 0 }),
    ).not.toThrow();
  });
});

describe('breached-password check (k-anonymity range API)', () => {
  it('sends only the 5-character prefix; a listed password is breached, another clean', async () => {
    const fake = await fakeRangeServer();
    try {
      const check = createPwnedCheck({ baseUrl: `${fake.url}/`, timeoutMs: 2000 });
      expect(await check(LISTED)).toBe('breached');
      expect(await check('not-listed-anywhere-at-all')).toBe('clean');
      for (const u of fake.asked) expect(u).toMatch(/^\/range\/[0-9A-F]{5}$/);
    } finally {
      await fake.close();
    }
  });

  it('a range service that does not answer in time lets the password through, quickly', async () => {
    const fake = await fakeRangeServer({ hang: true });
    try {
      const errors: unknown[] = [];
      const check = createPwnedCheck({
        baseUrl: fake.url,
        timeoutMs: 150,
        onError: (e) => errors.push(e),
      });
      const t0 = performance.now();
      expect(await check(LISTED)).toBe('unknown');
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(errors).toHaveLength(1);
      const refused = createPwnedCheck({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
      expect(await refused(LISTED)).toBe('unknown');
    } finally {
      await fake.close();
    }
  });
});

describe('the rules on every way a password is set', () => {
  let s: TestServer;
  let fake: Awaited<ReturnType<typeof fakeRangeServer>>;
  let admin: string;
  beforeAll(async () => {
    fake = await fakeRangeServer();
    s = await createTestServer({
      config: { pwnedRangeUrl: fake.url, pwnedTimeoutMs: 2000, emailVerification: 'off' },
    });
    admin = await s.adminToken();
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  const register = (password: string, headers: Record<string, string> = {}) => {
    const name = uname('st');
    return s.call('POST', '/api/public/auth/register', {
      body: { username: name, email: `${name}@example.com`, password },
      headers,
    });
  };

  it('register: a guessable password is refused with why, in the client language; a strong one passes', async () => {
    const en = await register('monkey12345');
    expectError(en, 400, 'PASSWORD_WEAK');
    expect(en.data.data).toMatchObject({ reason: 'guessable', score: 1 });
    expect(en.data.message).toMatch(/^PASSWORD_WEAK: .*too easy to guess/);
    const zh = await register('monkey12345', { 'accept-language': 'zh-CN' });
    expect(zh.data.message).toMatch(/^PASSWORD_WEAK: 密码强度不足 \(密码太容易被猜到/);
    expect((await register('a-strong-passphrase')).statusCode).toBe(201);
  });

  it('register: a password listed in the breach corpus is refused', async () => {
    const r = await register(LISTED);
    expectError(r, 400, 'PASSWORD_WEAK');
    expect(r.data.data.reason).toBe('breached');
  });

  it('the minimum score is a run-time setting', async () => {
    expect((await register('Summer2024!')).statusCode).toBe(201);
    const set = (v: number) =>
      s.call('PATCH', '/api/admin/settings', { token: admin, body: { passwordMinScore: v } });
    expect((await set(3)).statusCode).toBe(200);
    try {
      expectError(await register('Summer2024!'), 400, 'PASSWORD_WEAK');
    } finally {
      await set(2);
    }
  });

  it('administrator create and update apply the rules', async () => {
    const name = uname('sa');
    const weak = await s.call('POST', '/api/admin/users', {
      token: admin,
      body: { username: name, password: 'monkey12345' },
    });
    expectError(weak, 400, 'PASSWORD_WEAK');
    const ok = await s.call('POST', '/api/admin/users', {
      token: admin,
      body: { username: name, password: 'a-strong-passphrase' },
    });
    expect(ok.statusCode).toBe(201);
    const patch = await s.call('PATCH', `/api/admin/users/${ok.data.data.id}`, {
      token: admin,
      body: { password: LISTED },
    });
    expectError(patch, 400, 'PASSWORD_WEAK');
  });
});

describe('a breach check that times out never blocks registration', () => {
  let s: TestServer;
  let fake: Awaited<ReturnType<typeof fakeRangeServer>>;
  beforeAll(async () => {
    fake = await fakeRangeServer({ hang: true });
    s = await createTestServer({ config: { pwnedRangeUrl: fake.url, pwnedTimeoutMs: 200 } });
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('registers (fail open) within the timeout', async () => {
    const name = uname('to');
    const t0 = performance.now();
    const r = await s.call('POST', '/api/public/auth/register', {
      body: { username: name, email: `${name}@example.com`, password: LISTED },
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(performance.now() - t0).toBeLessThan(3000);
    // Asked (the first-run admin password was too, at start), and let through.
    const prefix = createHash('sha1').update(LISTED).digest('hex').toUpperCase().slice(0, 5);
    expect(fake.asked).toContain(`/range/${prefix}`);
  });
});
