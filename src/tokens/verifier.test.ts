import { createHmac, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');

/** RFC 8725 checks on the hot path, each one made to fail on purpose. @see issue 2 §5 */
describe('access-token verification (RFC 8725)', () => {
  let s: TestServer;
  const clock = new ManualClock(Date.now());
  let good: string;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  let signingInput: (h: unknown, c: unknown) => string;
  let signRs: (input: string) => string;

  beforeAll(async () => {
    s = await createTestServer({ clock });
    await s.register('victim');
    good = (await s.login('victim')).access_token;
    const [h, c] = good.split('.');
    header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    claims = JSON.parse(Buffer.from(c!, 'base64url').toString());
    const key = s.rt.keyring.active().signKey!;
    signingInput = (hh, cc) => `${b64(hh)}.${b64(cc)}`;
    signRs = (input) => cryptoSign('sha256', Buffer.from(input), key).toString('base64url');
  });
  afterAll(() => s.close());

  const me = (token: string) => s.call('GET', '/api/public/auth/me', { token });
  const forge = (h: Record<string, unknown>, c: Record<string, unknown>) => {
    const input = signingInput(h, c);
    return `${input}.${signRs(input)}`;
  };

  it('accepts the genuine token, and a re-signed identical one', async () => {
    expect((await me(good)).statusCode).toBe(200);
    expect((await me(forge(header, { ...claims, jti: 'other-jti' }))).statusCode).toBe(200);
  });

  it('refuses alg none and unsigned tokens', async () => {
    const none = `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`;
    expect((await me(none)).data.error).toBe('TOKEN_INVALID');
    expect((await me(`${b64({ ...header, alg: 'none' })}.${b64(claims)}.x`)).data.error).toBe('TOKEN_INVALID');
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const pub = s.rt.keyring.active().verifyKey.export({ type: 'spki', format: 'pem' });
    const h = { ...header, alg: 'HS256' };
    const input = signingInput(h, claims);
    const sig = createHmac('sha256', pub).update(input).digest('base64url');
    expect((await me(`${input}.${sig}`)).data.error).toBe('TOKEN_INVALID');
  });

  it('ignores key material in the header (jwk, jku, x5u, x5c)', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const h = { ...header, jwk, jku: 'http://127.0.0.1:1/jwks', x5u: 'http://127.0.0.1:1/x5u' };
    const input = signingInput(h, claims);
    const sig = cryptoSign('sha256', Buffer.from(input), attacker.privateKey).toString('base64url');
    expect((await me(`${input}.${sig}`)).data.error).toBe('TOKEN_INVALID');
    const h2 = { ...header, kid: 'attacker-kid', jwk };
    const in2 = signingInput(h2, claims);
    expect((await me(`${in2}.${cryptoSign('sha256', Buffer.from(in2), attacker.privateKey).toString('base64url')}`)).data.error).toBe('TOKEN_INVALID');
  });

  it('requires typ at+jwt (an ID token or other JWT is not an access token)', async () => {
    expect((await me(forge({ ...header, typ: 'JWT' }, claims))).data.error).toBe('TOKEN_INVALID');
    const { typ: _t, ...noTyp } = header;
    expect((await me(forge(noTyp, claims))).data.error).toBe('TOKEN_INVALID');
  });

  it('refuses crit headers', async () => {
    expect((await me(forge({ ...header, crit: ['exp'] }, claims))).data.error).toBe('TOKEN_INVALID');
  });

  it('pins issuer and audience', async () => {
    expect((await me(forge(header, { ...claims, iss: 'evil' }))).data.error).toBe('TOKEN_INVALID');
    expect((await me(forge(header, { ...claims, aud: 'other-api' }))).data.error).toBe('TOKEN_INVALID');
    expect((await me(forge(header, { ...claims, aud: ['other-api', 'tessera'] }))).statusCode).toBe(200);
  });

  it('requires exp, iat, sub, sid and jti', async () => {
    for (const k of ['exp', 'iat', 'sub', 'sid', 'jti']) {
      const c = { ...claims };
      delete c[k];
      expect((await me(forge(header, c))).data.error, k).toBe('TOKEN_INVALID');
    }
  });

  it('refuses iat in the future and tokens older than their lifetime', async () => {
    const now = Math.floor(clock.now() / 1000);
    expect((await me(forge(header, { ...claims, iat: now + 3600, exp: now + 7200 }))).data.error).toBe('TOKEN_INVALID');
    expect((await me(forge(header, { ...claims, iat: now - 3600, exp: now + 3600 }))).data.error).toBe('TOKEN_EXPIRED');
  });

  it('refuses a tampered payload even when the genuine token is cached', async () => {
    expect((await me(good)).statusCode).toBe(200);
    const [h, , sig] = good.split('.');
    const tampered = `${h}.${b64({ ...claims, roles: ['admin'], scope: 'users:write' })}.${sig}`;
    expect((await me(tampered)).data.error).toBe('TOKEN_INVALID');
  });

  it('answers TOKEN_EXPIRED after exp, even from the cache', async () => {
    expect((await me(good)).statusCode).toBe(200);
    clock.advance(901_000);
    expect((await me(good)).data.error).toBe('TOKEN_EXPIRED');
    clock.advance(-901_000);
  });
});
