import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { bearerToken } from './authenticate.js';
import { TokenCache } from './cache.js';
import type { AccessClaims } from './claims.js';
import { createSigner } from './signer.js';
import { createVerifier } from './verifier.js';

/** The hot path's checks (RFC 8725) and its bounded cache. */
describe('access-token verifier', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ clock });
  });
  afterAll(() => s?.close());

  const nowSec = () => Math.floor(clock.now() / 1000);
  const claims = (over: Partial<Record<keyof AccessClaims | 'nbf', unknown>> = {}): AccessClaims =>
    ({
      iss: 'tessera',
      aud: 'tessera',
      sub: '1',
      sid: 'sid1',
      jti: `j${Math.random()}`,
      iat: nowSec(),
      exp: nowSec() + 900,
      role: 'user',
      level: 10,
      scope: '',
      roles: ['user'],
      user_type: 'user',
      username: 'u',
      ...over,
    }) as AccessClaims;
  const sign = (c: AccessClaims) => createSigner(s.rt.keyring).sign(c);
  const verify = (t: string) => s.rt.verifier.verify(t);

  it('accepts a good token and caches it from its second use (admission)', async () => {
    const t = await sign(claims());
    const size = s.rt.verifier.cacheSize();
    expect(verify(t).ok).toBe(true);
    expect(s.rt.verifier.cacheSize()).toBe(size);
    expect(verify(t).ok).toBe(true);
    expect(s.rt.verifier.cacheSize()).toBe(size + 1);
    expect(verify(t).ok).toBe(true);
    expect(s.rt.verifier.cacheSize()).toBe(size + 1);
  });

  it.each([
    ['wrong iss', { iss: 'other' }, 'TOKEN_INVALID'],
    ['wrong aud', { aud: 'other' }, 'TOKEN_INVALID'],
    ['no sid', { sid: undefined }, 'TOKEN_INVALID'],
    ['numeric sub', { sub: 1 }, 'TOKEN_INVALID'],
    ['iat 60 s ahead', { iat: Math.floor(Date.UTC(2026, 5, 1) / 1000) + 60 }, 'TOKEN_INVALID'],
    ['nbf 60 s ahead', { nbf: Math.floor(Date.UTC(2026, 5, 1) / 1000) + 60 }, 'TOKEN_INVALID'],
    ['expired', { exp: Math.floor(Date.UTC(2026, 5, 1) / 1000) }, 'TOKEN_EXPIRED'],
    [
      'older than the lifetime',
      {
        iat: Math.floor(Date.UTC(2026, 5, 1) / 1000) - 2000,
        exp: Math.floor(Date.UTC(2026, 5, 1) / 1000) + 900,
      },
      'TOKEN_EXPIRED',
    ],
  ] as const)('%s → %s', async (_name, over, code) => {
    const r = verify(await sign(claims(over as Partial<AccessClaims>)));
    expect(r.ok ? 'OK' : r.code).toBe(code);
  });

  it('a cached token still expires on time', async () => {
    const t = await sign(claims({ exp: nowSec() + 60 }));
    expect(verify(t).ok).toBe(true);
    clock.advance(60_000);
    const r = verify(t);
    expect(r.ok ? 'OK' : r.code).toBe('TOKEN_EXPIRED');
  });

  it('refuses oversized and non-JWT input without parsing it', () => {
    for (const t of ['x'.repeat(9000), 'a.b', 'a..c', '.b.c', 'a.b.c.d', 'a!.b.c'])
      expect(verify(t)).toMatchObject({ ok: false, code: 'TOKEN_INVALID' });
  });

  it('accepts one spelling of a token: foreign characters, spare bits and other alphabets fail', async () => {
    const t = await sign(claims());
    expect(verify(t).ok).toBe(true);
    const [h, p, sig] = t.split('.') as [string, string, string];
    // A character of the payload written above 0x7f with the same low byte:
    // latin1 would sign the same bytes; base64url decoding would skip it.
    const wide = (seg: string, i: number) =>
      seg.slice(0, i) + String.fromCharCode(seg.charCodeAt(i) + 0x100) + seg.slice(i + 1);
    const spare = (c: string) => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      return alphabet[alphabet.indexOf(c) ^ 1]!;
    };
    const variants = [
      `${h}.${wide(p, 4)}.${sig}`,
      `${wide(h, 2)}.${p}.${sig}`,
      `${h}.${p}.${wide(sig, 10)}`,
      `${h}.${p}.${sig}=`,
      `${h}.${p}.${sig.slice(0, -1)}${spare(sig.at(-1)!)}`,
      `${h}.${p}.${sig.replaceAll('-', '+').replaceAll('_', '/')}`,
      `${h}.${p}.${sig.slice(0, 20)}!${sig.slice(20)}`,
      `${h} .${p}.${sig}`,
    ].filter((v) => v !== t);
    expect(variants.length).toBeGreaterThanOrEqual(7);
    for (const v of variants) expect(verify(v)).toMatchObject({ ok: false, code: 'TOKEN_INVALID' });
    // The real one is still accepted (and from the cache once seen twice).
    expect(verify(t).ok).toBe(true);
  });

  it('a token sharing the cache key of a cached token is verified in full, and cannot evict it', async () => {
    const t = await sign(claims());
    verify(t);
    verify(t); // cached now
    const [h, , sig] = t.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify(claims({ sub: '2' }))).toString('base64url')}.${sig}`;
    expect(verify(forged)).toMatchObject({ ok: false, code: 'TOKEN_INVALID', reason: 'signature' });
    expect(verify(forged)).toMatchObject({ ok: false, code: 'TOKEN_INVALID' });
    expect(verify(t)).toMatchObject({ ok: true, claims: { sub: '1' } });
  });

  it('a cached token is held to the current lifetime when it is lowered at run time', async () => {
    let ttl = 3600;
    const v = createVerifier({
      keyring: s.rt.keyring,
      clock,
      issuer: 'tessera',
      audience: 'tessera',
      clockSkewSec: 30,
      maxAgeSec: () => ttl,
      cacheSize: 10,
    });
    const t = await sign(claims({ exp: nowSec() + 3600 }));
    expect(v.verify(t).ok).toBe(true);
    ttl = 60;
    clock.advance(91_000);
    const r = v.verify(t);
    expect(r.ok ? 'OK' : r.code).toBe('TOKEN_EXPIRED');
  });

  it('the verified-token cache is bounded', async () => {
    const v = createVerifier({
      keyring: s.rt.keyring,
      clock,
      issuer: 'tessera',
      audience: 'tessera',
      clockSkewSec: 30,
      maxAgeSec: () => 900,
      cacheSize: 3,
    });
    for (let i = 0; i < 10; i++) {
      const t = await sign(claims());
      expect(v.verify(t).ok).toBe(true);
      expect(v.verify(t).ok).toBe(true);
    }
    expect(v.cacheSize()).toBe(3);
  });
});

describe('TokenCache', () => {
  it('evicts the oldest entry when full and drops expired ones on read', () => {
    const c = new TokenCache<number>(2);
    c.set('a', 1, 100);
    c.set('b', 2, 200);
    c.set('c', 3, 300);
    expect([c.get('a', 0), c.get('b', 0), c.get('c', 0)]).toEqual([undefined, 2, 3]);
    expect(c.get('b', 200)).toBeUndefined();
    expect(c.size).toBe(1);
    const off = new TokenCache<number>(0);
    off.set('a', 1, 100);
    expect(off.size).toBe(0);
  });
});

describe('bearerToken', () => {
  it.each([
    [undefined, null],
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearer    ', null],
    ['Basic abc', null],
    ['Bearerabc', null],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER  abc ', 'abc'],
  ])('%j → %j', (h, t) => {
    expect(bearerToken(h)).toBe(t);
  });
});
