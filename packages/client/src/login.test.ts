import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailsTo } from '../../../src/credentials/credentials.test-support.js';
import { totpCode } from '../../../src/mfa/codes.js';
import { nextStep } from '../../../src/mfa/mfa.test-support.js';
import { createClient, type ClientOptions } from './client.js';
import { isTesseraError, TesseraError } from './errors.js';
import { memoryStorage } from './storage.js';
import { PW, recorder, serve, type Served } from './server.test-support.js';

/** The SDK against a real Tessera over HTTP: every way in and out of a session. */
describe('@tessera-auth/client: login, second factor, register, reset, sessions', () => {
  let srv: Served;
  const make = (o: Partial<ClientOptions> = {}) => {
    const rec = recorder();
    const client = createClient({
      baseUrl: srv.origin,
      storage: memoryStorage(),
      fetch: rec.fetch,
      autoRefresh: false,
      ...o,
    });
    return { client, rec };
  };

  beforeAll(async () => {
    srv = await serve();
    await srv.s.register('alice', PW, 'alice@example.com');
  }, 90_000);
  afterAll(() => srv.s.close());

  it('encrypted login (RSA-OAEP-256 under a one-time key id), me, sessions, logout', async () => {
    const { client, rec } = make();
    const r = await client.login({ username: 'alice', password: PW, deviceName: 'Firefox' });
    expect(r.mfaRequired).toBe(false);
    const key = rec.sent.find((x) => x.path.includes('/public-key'))!;
    expect(key.path).toContain('alg=RSA-OAEP-256');
    const login = rec.sent.find((x) => x.path.endsWith('/public/auth/login'))!;
    expect(Object.keys(login.body!).sort()).toEqual([
      'device_name',
      'encryptedPassword',
      'keyId',
      'username',
    ]);
    expect(JSON.stringify(login.body)).not.toContain(PW);

    const me = await client.me();
    expect(me).toMatchObject({ username: 'alice', authorities: ['ROLE_USER'] });
    const sessions = await client.sessions.list();
    const mine = sessions.find((x) => x.current)!;
    expect(mine).toMatchObject({ device_name: 'Firefox', id: me.session_id });

    const token = client.getTokens()!.access_token;
    await client.logout();
    expect(client.getTokens()).toBeNull();
    await expect(client.me()).rejects.toMatchObject({ code: 'TOKEN_MISSING' });
    const after = await srv.s.call('GET', '/api/public/auth/me', { token });
    expect(after.statusCode).toBe(401);
  });

  it('fetches a new key and retries once on KEY_EXPIRED; a second refusal is thrown', async () => {
    // The server's clock jumps past the key's 300 s life between fetching it and using it.
    let jumps = 1;
    const rec = recorder({
      after: (x) => {
        if (x.path.includes('/public-key') && jumps-- > 0) srv.clock.advance(301_000);
      },
    });
    const client = createClient({
      baseUrl: srv.origin,
      storage: memoryStorage(),
      fetch: rec.fetch,
    });
    const r = await client.login({ username: 'alice', password: PW });
    expect(r.mfaRequired).toBe(false);
    expect(rec.sent.map((x) => `${x.status} ${x.path.split('?')[0]}`)).toEqual([
      '200 /api/public/auth/public-key',
      '401 /api/public/auth/login',
      '200 /api/public/auth/public-key',
      '200 /api/public/auth/login',
    ]);
    client.close();

    jumps = 2;
    rec.sent.length = 0;
    const again = createClient({ baseUrl: srv.origin, storage: memoryStorage(), fetch: rec.fetch });
    const err = await again.login({ username: 'alice', password: PW }).catch((e: unknown) => e);
    expect(isTesseraError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'KEY_EXPIRED', status: 401 });
    expect(rec.count('POST', '/public/auth/login')).toBe(2);
    again.close();
  });

  it('a wrong password is a TesseraError with the code, status and localised message', async () => {
    const { client, rec } = make({ locale: 'zh-CN' });
    const err = await client.login({ username: 'alice', password: 'wrong-one' }).catch((e) => e);
    expect(err).toBeInstanceOf(TesseraError);
    expect(err).toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });
    expect((err as Error).message).toBe('INVALID_CREDENTIALS: 用户名或密码错误');
    // Only key errors are retried: a wrong password is sent once, not twice as the seed client does.
    expect(rec.count('POST', '/public/auth/login')).toBe(1);
  });

  it('plain login sends the password as is', async () => {
    const { client, rec } = make({ encryptedLogin: false });
    await client.login({ username: 'alice', password: PW });
    expect(rec.sent.map((x) => x.path)).toEqual(['/api/public/auth/login']);
    expect(rec.sent[0]!.body).toEqual({ username: 'alice', password: PW });
    expect((await client.me()).username).toBe('alice');
  });

  it('second factor: login answers mfaRequired with a ticket, verifyMfa completes it', async () => {
    const s = srv.s;
    await s.register('mfa_user', PW, 'mfa@example.com');
    const { access_token } = await s.login('mfa_user');
    const e = await s.call('POST', '/api/auth/mfa/totp/enroll', {
      token: access_token,
      body: { current_password: PW },
    });
    const secret = e.data.data.secret as string;
    await s.call('POST', '/api/auth/mfa/totp/confirm', {
      token: access_token,
      body: { code: totpCode(secret, srv.clock.now()) },
    });
    nextStep(srv.clock);

    const { client } = make();
    const r = await client.login({ username: 'mfa_user', password: PW });
    if (!r.mfaRequired) throw new Error('expected a second-factor answer');
    expect(r.methods).toEqual(['totp', 'recovery_code']);
    expect(r.expiresIn).toBeGreaterThan(0);
    expect(client.getTokens()).toBeNull();
    await expect(client.verifyMfa('000000')).rejects.toMatchObject({ code: 'MFA_INVALID' });
    const tokens = await client.verifyMfa(totpCode(secret, srv.clock.now()));
    expect(client.getTokens()).toEqual(tokens);
    expect((await client.me()).username).toBe('mfa_user');
    nextStep(srv.clock);
    // The one-call form: the code with the password.
    const one = make().client;
    const direct = await one.login({
      username: 'mfa_user',
      password: PW,
      mfaCode: totpCode(secret, srv.clock.now()),
    });
    expect(direct.mfaRequired).toBe(false);
  });

  it('register, then USER_EXISTS for the same name', async () => {
    const { client } = make();
    await client.register({ username: 'newbie', email: 'newbie@example.com', password: PW });
    await client.login({ username: 'newbie', password: PW });
    expect((await client.me()).username).toBe('newbie');
    await expect(
      client.register({ username: 'newbie', email: 'other@example.com', password: PW }),
    ).rejects.toMatchObject({ code: 'USER_EXISTS', status: 409 });
  });

  it('password reset through the mail outbox: the old session ends, the new password works', async () => {
    await srv.s.register('forgetful', PW, 'forgetful@example.com');
    const { client } = make();
    await client.login({ username: 'forgetful', password: PW });
    const old = client.getTokens()!.access_token;
    const anon = make().client;
    await anon.requestPasswordReset('forgetful@example.com');
    const [mail] = await mailsTo(srv.s, 'forgetful@example.com', 'password-reset');
    const token = mail!.link!.searchParams.get('token')!;
    await anon.resetPassword(token, 'a-new-strong-passphrase');
    await expect(anon.resetPassword(token, 'yet-another-passphrase')).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    const r = await srv.s.call('GET', '/api/public/auth/me', { token: old });
    expect(r.statusCode).toBe(401);
    await expect(client.login({ username: 'forgetful', password: PW })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await client.login({ username: 'forgetful', password: 'a-new-strong-passphrase' });
    expect((await client.me()).username).toBe('forgetful');
  });

  it('sessions: end another one; ending the current one signs this client out; logout-all', async () => {
    const a = make().client;
    const b = make().client;
    await a.login({ username: 'alice', password: PW, deviceName: 'A' });
    await b.login({ username: 'alice', password: PW, deviceName: 'B' });
    const list = await a.sessions.list();
    const bId = list.find((x) => x.device_name === 'B')!.id;
    await a.sessions.end(bId);
    await expect(b.me()).rejects.toMatchObject({ status: 401 });
    expect(b.getTokens()).toBeNull();
    expect(a.getTokens()).not.toBeNull();
    const aId = (await a.me()).session_id!;
    await a.sessions.end(aId);
    expect(a.getTokens()).toBeNull();

    const c = make().client;
    const d = make().client;
    await c.login({ username: 'alice', password: PW });
    await d.login({ username: 'alice', password: PW });
    expect(await c.logoutAll()).toBeGreaterThanOrEqual(2);
    expect(c.getTokens()).toBeNull();
    await expect(d.me()).rejects.toMatchObject({ status: 401 });
  });
});
