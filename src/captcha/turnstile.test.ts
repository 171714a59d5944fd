/** Turnstile against a local fake siteverify (node:http on 127.0.0.1). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../test-support/server.js';

const SECRET = 'turnstile-test-secret';

describe('Turnstile provider', () => {
  let fake: Server;
  let seen: URLSearchParams[] = [];
  let t: TestServer;
  beforeAll(async () => {
    fake = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const p = new URLSearchParams(body);
        seen.push(p);
        const token = p.get('response') ?? '';
        const good = p.get('secret') === SECRET && token.startsWith('good-');
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify(
            good
              ? {
                  success: true,
                  action: token.slice(5),
                  hostname: 'example.com',
                  'error-codes': [],
                }
              : { success: false, 'error-codes': ['invalid-input-response'] },
          ),
        );
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/siteverify`;
    t = await createTestServer({
      config: {
        captchaProvider: 'turnstile',
        turnstileSecret: SECRET,
        turnstileVerifyUrl: url,
        registerCaptcha: true,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => fake.close(r));
  });

  const register = (username: string, captcha?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/public/auth/register',
      remoteAddress: '198.51.100.20',
      payload: {
        username,
        email: `${username}@example.com`,
        password: 'a-strong-passphrase',
        ...(captcha ? { captcha } : {}),
      },
    });

  it('tells the client which provider and action to use', async () => {
    const r = await t.call('GET', '/api/public/captcha/challenge?purpose=register');
    expect(r.data.data).toEqual({ provider: 'turnstile', purpose: 'register', action: 'register' });
  });

  it('register requires a verified token for its own purpose, once', async () => {
    expect(JSON.parse((await register('nia')).body).error).toBe('CAPTCHA_REQUIRED');
    expect(JSON.parse((await register('nia', 'bad-token')).body).error).toBe('CAPTCHA_FAILED');
    expect(JSON.parse((await register('nia', 'good-login')).body).error).toBe('CAPTCHA_FAILED');
    seen = [];
    expect((await register('nia', 'good-register')).statusCode).toBe(201);
    expect(seen[0]!.get('secret')).toBe(SECRET);
    expect(seen[0]!.get('remoteip')).toBe('198.51.100.20');
    expect(JSON.parse((await register('nib', 'good-register')).body).error).toBe('CAPTCHA_FAILED');
    // The fake (unlike Cloudflare) says success again: our replay store refused it.
    expect(seen).toHaveLength(2);
    expect(seen[1]!.get('response')).toBe('good-register');
  });

  it('an unreachable siteverify answers 503, not a pass', async () => {
    const down = await createTestServer({
      config: {
        captchaProvider: 'turnstile',
        turnstileSecret: SECRET,
        turnstileVerifyUrl: 'http://127.0.0.1:9/siteverify',
        registerCaptcha: true,
      },
    });
    try {
      const r = await down.call('POST', '/api/public/auth/register', {
        body: {
          username: 'noa',
          email: 'noa@example.com',
          password: 'a-strong-passphrase',
          captcha: 'good-register',
        },
      });
      expect([r.statusCode, r.data.error]).toEqual([503, 'UNAVAILABLE']);
    } finally {
      await down.close();
    }
  });

  it('refuses to start without its secret', async () => {
    await expect(
      createTestServer({
        config: { captchaProvider: 'turnstile', turnstileVerifyUrl: 'http://127.0.0.1:9/x' },
      }),
    ).rejects.toThrow(/TURNSTILE_SECRET/);
  });
});
