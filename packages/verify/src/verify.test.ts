import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../../src/test-support/server.js';
import { TcpProxy } from '../../../src/test-support/tcp-proxy.js';
import { createVerifier, VerifyError, type Verifier, type VerifyErrorCode } from './index.js';

const SERVICE_TOKEN = 'svc-verify-test-token-0123456789abcdef';

/** The code a verification fails with, or 'OK'. */
async function outcome(v: Verifier, token: string): Promise<VerifyErrorCode | 'OK'> {
  try {
    await v.verify(token);
    return 'OK';
  } catch (e) {
    if (e instanceof VerifyError) return e.code;
    throw e;
  }
}

const payloadOf = (t: string) =>
  JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('pinned checks, against a key set of our own', () => {
  let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwk: JWK;
  const iss = 'https://auth.test';
  const aud = 'tessera';
  let v: Verifier;
  const claims = { sub: '1', sid: 's1', jti: 'j1' };
  const sign = (
    o: { alg?: string; typ?: string; kid?: string; iss?: string; aud?: string; exp?: number } = {},
    k: typeof key | Uint8Array = key,
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: o.alg ?? 'RS256', typ: o.typ ?? 'at+jwt', kid: o.kid ?? 'k1' })
      .setIssuer(o.iss ?? iss)
      .setAudience(o.aud ?? aud)
      .setIssuedAt()
      .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 60)
      .sign(k);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    v = createVerifier({ issuer: iss, audience: aud, keys: { keys: [jwk] } });
  });

  it('accepts a good token and refuses each pinned claim, with its reason', async () => {
    expect(await outcome(v, await sign())).toBe('OK');
    const cases: [string, Promise<string>][] = [
      ['iss', sign({ iss: 'https://evil.test' })],
      ['aud', sign({ aud: 'other' })],
      ['typ', sign({ typ: 'JWT' })],
      ['kid', sign({ kid: 'unknown' })],
    ];
    for (const [reason, t] of cases) {
      const e = await v.verify(await t).catch((x: unknown) => x);
      expect(e, reason).toBeInstanceOf(VerifyError);
      expect({ code: (e as VerifyError).code, reason: (e as VerifyError).reason }).toEqual({
        code: 'TOKEN_INVALID',
        reason,
      });
      // A refusal never carries the token.
      expect(JSON.stringify(e) + (e as Error).message).not.toContain((await t).slice(0, 20));
    }
  });

  it('refuses another algorithm (HS256 keyed with the public key, none), a bad signature, an expired token', async () => {
    const hs = await sign({ alg: 'HS256' }, new TextEncoder().encode(JSON.stringify(jwk)));
    expect(await outcome(v, hs)).toBe('TOKEN_INVALID');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'k1' })).toString('base64url')}.${(await sign()).split('.')[1]}.`;
    expect(await outcome(v, none)).toBe('TOKEN_INVALID');
    const good = await sign();
    const tampered = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await outcome(v, tampered)).toBe('TOKEN_INVALID');
    expect(await outcome(v, await sign({ exp: Math.floor(Date.now() / 1000) - 60 }))).toBe(
      'TOKEN_EXPIRED',
    );
    expect(await outcome(v, 'not.a.jwt')).toBe('TOKEN_INVALID');
    expect(await outcome(v, '')).toBe('TOKEN_MISSING');
  });

  it('refuses bad options when built, not on a request', () => {
    const ok = { issuer: iss, audience: aud, keys: { keys: [jwk] } };
    expect(() => createVerifier({ ...ok, issuer: '' })).toThrow(/issuer/);
    expect(() => createVerifier({ ...ok, algorithms: ['HS256'] })).toThrow(/algorithms/);
    expect(() => createVerifier({ ...ok, algorithms: ['none'] })).toThrow(/algorithms/);
    expect(() => createVerifier({ ...ok, jwksUrl: 'https://x.test/jwks' })).toThrow(/one/);
    expect(() =>
      createVerifier({ ...ok, revocations: { url: 'https://x.test/r', serviceToken: '' } }),
    ).toThrow(/serviceToken/);
  });
});

describe('against a real Tessera', () => {
  let s: TestServer;
  let origin: string;
  let v: Verifier;
  const opened: Verifier[] = [];
  const jwksFetches: string[] = [];

  const make = (extra: Partial<Parameters<typeof createVerifier>[0]> = {}) => {
    const made = createVerifier({
      issuer: s.config.issuer,
      audience: s.config.audience,
      jwksUrl: `${origin}/.well-known/jwks.json`,
      jwks: {
        cooldownMs: 0,
        fetch: (url, init) => {
          jwksFetches.push(String(url));
          return fetch(url, init);
        },
      },
      revocations: { url: `${origin}/api/service/revocations`, serviceToken: SERVICE_TOKEN },
      ...extra,
    });
    opened.push(made);
    return made;
  };

  beforeAll(async () => {
    s = await createTestServer({ config: { publicApiTokens: [SERVICE_TOKEN] } });
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = s.app.server.address();
    origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    v = make();
    expect(await v.ready()).toBe(true);
  });
  afterAll(async () => {
    for (const x of opened) x.close();
    // A streaming fetch that is aborted leaves undici a spare connection with no request,
    // which the server's close would otherwise wait for (its 60 s connection timeout).
    s?.app.server.closeAllConnections();
    await s?.close();
  });

  it('verifies a fresh token and returns its claims', async () => {
    await s.register('vuser1');
    const { access_token } = await s.login('vuser1');
    const c = await v.verify(access_token);
    expect(c).toMatchObject({ username: 'vuser1', iss: s.config.issuer, sid: expect.any(String) });
  });

  it('refuses another audience or issuer than its own, and a token past exp (injected clock)', async () => {
    await s.register('vuser2');
    const { access_token } = await s.login('vuser2');
    const otherAud = make({ audience: 'someone-else', revocations: undefined });
    expect(await outcome(otherAud, access_token)).toBe('TOKEN_INVALID');
    const otherIss = make({ issuer: 'https://other.test', revocations: undefined });
    expect(await outcome(otherIss, access_token)).toBe('TOKEN_INVALID');
    const exp = payloadOf(access_token).exp as number;
    const later = make({ now: () => (exp + 10) * 1000, revocations: undefined });
    expect(await outcome(later, access_token)).toBe('TOKEN_EXPIRED');
  });

  it('picks up a rotated key on its unknown kid; refetches of the JWKS are rate limited', async () => {
    await s.register('vuser3');
    const before = (await s.login('vuser3')).access_token;
    expect(await outcome(v, before)).toBe('OK');
    const admin = await s.adminToken();
    const rotated = await s.call('POST', '/api/admin/keys/rotate', { token: admin });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const after = (await s.login('vuser3')).access_token;
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).not.toBe(
      JSON.parse(Buffer.from(before.split('.')[0]!, 'base64url').toString()).kid,
    );
    const n = jwksFetches.length;
    expect(await outcome(v, after)).toBe('OK');
    expect(jwksFetches.length).toBe(n + 1);
    expect(await outcome(v, before)).toBe('OK');

    // With the default 30 s cooldown, a flood of unknown kids costs one fetch, not one each.
    const limited = make({ jwks: undefined, revocations: undefined });
    let fetches = 0;
    const counted = createVerifier({
      issuer: s.config.issuer,
      audience: s.config.audience,
      jwksUrl: `${origin}/.well-known/jwks.json`,
      jwks: { fetch: (u, i) => ((fetches += 1), fetch(u, i)) },
    });
    expect(await outcome(limited, after)).toBe('OK');
    const header = Buffer.from(
      JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'nope' }),
    ).toString('base64url');
    const forged = `${header}.${after.split('.')[1]}.${after.split('.')[2]}`;
    for (let i = 0; i < 20; i++) expect(await outcome(counted, forged)).toBe('TOKEN_INVALID');
    expect(fetches).toBe(1);
  });

  it('refuses a token within 1 s of its logout on Tessera (pushed by the feed), after a force logout, and after a role change', async () => {
    await s.register('vuser4');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { access_token } = await s.login('vuser4');
      expect(await outcome(v, access_token)).toBe('OK');
      const t0 = performance.now();
      const r = await s.call('POST', '/api/public/auth/logout', { token: access_token });
      expect(r.statusCode).toBe(200);
      while ((await outcome(v, access_token)) === 'OK') {
        if (performance.now() - t0 > 1000) throw new Error('still accepted 1 s after logout');
        await new Promise((res) => setTimeout(res, 1));
      }
      times.push(performance.now() - t0);
      expect(await outcome(v, access_token)).toBe('SESSION_ENDED');
    }
    expect(Math.max(...times)).toBeLessThan(1000);

    // A force logout by an administrator ends every session of the user.
    const admin = await s.adminToken();
    const forcedToken = (await s.login('vuser4')).access_token;
    const id = Number(payloadOf(forcedToken).sub);
    expect(await outcome(v, forcedToken)).toBe('OK');
    const forced = await s.call('POST', `/api/admin/users/${id}/logout`, { token: admin });
    expect(forced.statusCode, forced.body).toBe(200);
    await expect
      .poll(() => outcome(v, forcedToken), { timeout: 1000, interval: 5 })
      .toBe('SESSION_ENDED');

    // A role change cuts the user's tokens issued before it (a per-user revocation); the
    // session lives on, and a token refreshed after the change is good.
    const held = (await s.login('vuser4')).access_token;
    expect(await outcome(v, held)).toBe('OK');
    const roles = await s.call('PUT', `/api/admin/users/${id}/roles`, {
      token: admin,
      body: { roles: ['user'] },
    });
    expect(roles.statusCode, roles.body).toBe(200);
    await expect.poll(() => outcome(v, held), { timeout: 1000, interval: 5 }).toBe('TOKEN_REVOKED');
  });

  it('a new verifier learns earlier revocations from the snapshot', async () => {
    await s.register('vuser5');
    const { access_token } = await s.login('vuser5');
    await s.call('POST', '/api/public/auth/logout', { token: access_token });
    const fresh = make();
    expect(await outcome(fresh, access_token)).toBe('SESSION_ENDED');
  });

  it('resumes from its last event after a disconnect, without a snapshot; fails closed when the feed stays away', async () => {
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(origin).port)).start();
    const snapshots: string[] = [];
    const pv = make({
      revocations: {
        url: `http://127.0.0.1:${proxy.port}/api/service/revocations`,
        serviceToken: SERVICE_TOKEN,
        fetch: (u, i) => {
          if (!String(u).endsWith('/stream')) snapshots.push(String(u));
          return fetch(u, i);
        },
        failClosedAfterMs: 400,
        backoff: { minMs: 20, maxMs: 50 },
      },
    });
    expect(await pv.ready()).toBe(true);
    expect(snapshots).toHaveLength(1);
    await s.register('vuser6');
    const a = (await s.login('vuser6')).access_token;
    const b = (await s.login('vuser6')).access_token;
    await proxy.cut();
    // Revoked while the verifier is cut off: it cannot know yet.
    await s.call('POST', '/api/public/auth/logout', { token: a });
    expect(await outcome(pv, a)).toBe('OK');
    // Past failClosedAfterMs every token is refused, revoked or not.
    await new Promise((r) => setTimeout(r, 500));
    expect(await outcome(pv, b)).toBe('REVOCATIONS_UNAVAILABLE');
    await proxy.restore();
    await expect.poll(() => outcome(pv, b), { timeout: 3000, interval: 20 }).toBe('OK');
    expect(await outcome(pv, a)).toBe('SESSION_ENDED');
    // Resumed by Last-Event-ID: the missed logout came as a replayed event, no new snapshot.
    expect(snapshots).toHaveLength(1);
    pv.close();
    await proxy.close();
  });

  it('with a wrong service token it never synchronises and refuses tokens (fail closed)', async () => {
    const errors: string[] = [];
    const wrong = make({
      revocations: {
        url: `${origin}/api/service/revocations`,
        serviceToken: 'not-the-service-token',
        startupWaitMs: 200,
        backoff: { minMs: 50, maxMs: 100 },
        onError: (e) => errors.push(String(e)),
      },
    });
    await s.register('vuser7');
    const { access_token } = await s.login('vuser7');
    expect(await outcome(wrong, access_token)).toBe('REVOCATIONS_UNAVAILABLE');
    expect(await wrong.ready(100)).toBe(false);
    expect(errors[0]).toMatch(
      /HTTP 401 \(is the service token one of TESSERA_PUBLIC_API_TOKENS\?\)/,
    );
  });
});
