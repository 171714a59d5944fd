import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptchaChallenge } from './captcha.js';
import { solveAltcha } from './captcha.js';
import { createClient } from './client.js';
import { memoryStorage } from './storage.js';
import { PW, recorder, serve, type Served } from './server.test-support.js';

/** A server that always asks for a captcha, on login and on register. */
describe('@tessera-auth/client: captcha when the server requires one', () => {
  let srv: Served;
  beforeAll(async () => {
    srv = await serve({ config: { captchaAfterFailures: 0, registerCaptcha: true } });
  }, 90_000);
  afterAll(() => srv.s.close());

  it('solves the ALTCHA proof of work itself (WebCrypto) and retries: register and login', async () => {
    const rec = recorder();
    const c = createClient({ baseUrl: srv.origin, storage: memoryStorage(), fetch: rec.fetch });
    await c.register({ username: 'human', email: 'human@example.com', password: PW });
    const r = await c.login({ username: 'human', password: PW });
    expect(r.mfaRequired).toBe(false);
    expect(rec.sent.map((x) => `${x.status} ${x.path.split('?')[0]}`)).toEqual([
      '400 /api/public/auth/register',
      '200 /api/public/captcha/challenge',
      '201 /api/public/auth/register',
      '200 /api/public/auth/public-key',
      '400 /api/public/auth/login',
      '200 /api/public/captcha/challenge',
      '200 /api/public/auth/public-key',
      '200 /api/public/auth/login',
    ]);
    expect(rec.sent[2]!.body!.captcha).toEqual(expect.any(String));
    expect(rec.sent[1]!.path).toContain('purpose=register');
  });

  it('a callback answers instead (a widget), given the challenge', async () => {
    const asked: CaptchaChallenge[] = [];
    const c = createClient({
      baseUrl: srv.origin,
      storage: memoryStorage(),
      encryptedLogin: false,
      captcha: async (ch) => {
        asked.push(ch);
        return solveAltcha(ch);
      },
    });
    await c.login({ username: 'human', password: PW });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ provider: 'altcha', purpose: 'login' });
    expect((await c.me()).username).toBe('human');
  });

  it('captcha: false leaves CAPTCHA_REQUIRED to the caller; a wrong solution is CAPTCHA_FAILED', async () => {
    const c = createClient({
      baseUrl: srv.origin,
      storage: memoryStorage(),
      encryptedLogin: false,
      captcha: false,
    });
    await expect(c.login({ username: 'human', password: PW })).rejects.toMatchObject({
      code: 'CAPTCHA_REQUIRED',
      status: 400,
    });
    await expect(
      c.login({ username: 'human', password: PW, captcha: 'not-a-solution' }),
    ).rejects.toMatchObject({ code: 'CAPTCHA_FAILED' });
  });
});
