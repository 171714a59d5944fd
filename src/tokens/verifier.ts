import { createHmac, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { Keyring, SigningKey } from '../keys/keyring.js';
import type { Clock } from '../lib/clock.js';
import { ACCESS_TYP, type AccessClaims } from './claims.js';
import { TokenCache } from './cache.js';

export type VerifyFailure = 'TOKEN_INVALID' | 'TOKEN_EXPIRED';
export type VerifyResult =
  | { ok: true; claims: AccessClaims }
  | { ok: false; code: VerifyFailure; reason: string; kid?: string };

export interface VerifierOptions {
  keyring: Keyring;
  clock: Clock;
  issuer: string;
  audience: string;
  /** The tenant whose tokens this verifier accepts (claim `tid`; absent = `default`). Unset: any. */
  tenant?: string;
  clockSkewSec: number;
  /** Oldest acceptable `iat`, as an age in seconds (the access-token lifetime). */
  maxAgeSec: () => number;
  cacheSize: number;
}

const MAX_TOKEN_LENGTH = 8192;
const B64URL = /^[A-Za-z0-9_-]+$/;

interface Header {
  key: SigningKey;
  /** Not cached yet: it is, once a signature under it verified. */
  fresh?: true;
}

/**
 * The hot path. Access tokens are checked with node:crypto directly (jose
 * keeps key handling, signing and JWKS), with every check of RFC 8725:
 *
 *  1. size bound, three base64url segments;
 *  2. header: alg pinned to the key's own alg (never "none", never taken from
 *     the token alone), typ must be at+jwt (RFC 8725 §3.11), kid must name a
 *     key we hold; jwk/jku/x5u/x5c in the header are ignored, crit refused;
 *  3. signature;
 *  4. claims: iss, aud, exp, iat (not in the future, not older than the
 *     lifetime), sub, sid, jti required; nbf honoured.
 *
 * Tokens that passed are cached until their exp (a hit must equal the whole
 * token, so a changed payload never hits), so the repeat cost is one Map
 * lookup and one string comparison.
 *
 * No regular expression runs over a token seen before: the header segment is
 * looked up as it is (checked for the alphabet only when it is new), the
 * payload's bytes are covered by the signature, and the signature must be the
 * canonical encoding of the bytes checked (base64url decoding skips foreign
 * characters and ignores a last character's spare bits, so without it one
 * token would have several accepted spellings).
 * Revocation is not decided here: it is checked on every request by the caller.
 */
export function createVerifier(opts: VerifierOptions) {
  const headers = new Map<string, Header | null>();
  const cache = new TokenCache<AccessClaims>(opts.cacheSize);
  opts.keyring.onWithdraw(() => {
    cache.clear();
    headers.clear();
  });

  function parseHeader(seg: string): Header | null | string {
    const hit = headers.get(seg);
    if (hit !== undefined) return hit;
    if (!B64URL.test(seg)) return null;
    let h: Record<string, unknown>;
    try {
      h = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
    if (!h || typeof h !== 'object') return null;
    if (h.typ !== ACCESS_TYP) return null;
    if (h.crit !== undefined) return null;
    if (typeof h.kid !== 'string') return null;
    const key = opts.keyring.get(h.kid);
    if (!key) return h.kid.slice(0, 64); // unknown kid: the caller may refresh the keyring
    if (h.alg !== key.alg) return null;
    return { key, fresh: true };
  }

  function checkSignature(key: SigningKey, input: string, sigSeg: string): boolean {
    const sig = Buffer.from(sigSeg, 'base64url');
    if (sig.toString('base64url') !== sigSeg) return false;
    // utf8, not latin1: a header value may hold characters above 0x7f, and latin1
    // would keep only their low byte, so a payload spelled with them would pass
    // the signature of the ASCII token while decoding (base64url skips them) to
    // other claims. The issued token is ASCII, so any other spelling changes the bytes.
    const data = Buffer.from(input, 'utf8');
    const vk: KeyObject = key.verifyKey;
    switch (key.alg) {
      case 'RS256':
        return cryptoVerify('sha256', data, vk, sig);
      case 'ES256':
        return (
          sig.length === 64 &&
          cryptoVerify('sha256', data, { key: vk, dsaEncoding: 'ieee-p1363' }, sig)
        );
      case 'EdDSA':
        return cryptoVerify(null, data, vk, sig);
      case 'HS256': {
        const mac = createHmac('sha256', vk).update(data).digest();
        return mac.length === sig.length && timingSafeEqual(mac, sig);
      }
    }
  }

  function checkClaims(c: Record<string, unknown>, nowSec: number): VerifyResult {
    const skew = opts.clockSkewSec;
    if (c.iss !== opts.issuer) return { ok: false, code: 'TOKEN_INVALID', reason: 'iss' };
    if (opts.tenant !== undefined && (c.tid ?? 'default') !== opts.tenant)
      return { ok: false, code: 'TOKEN_INVALID', reason: 'tid' };
    const aud = c.aud;
    if (!(aud === opts.audience || (Array.isArray(aud) && aud.includes(opts.audience))))
      return { ok: false, code: 'TOKEN_INVALID', reason: 'aud' };
    if (typeof c.exp !== 'number' || typeof c.iat !== 'number')
      return { ok: false, code: 'TOKEN_INVALID', reason: 'exp/iat' };
    if (typeof c.sub !== 'string' || typeof c.sid !== 'string' || typeof c.jti !== 'string')
      return { ok: false, code: 'TOKEN_INVALID', reason: 'sub/sid/jti' };
    // At least 1 s: the issuer may stamp iat with the next second (see issue.ts).
    if (c.iat > nowSec + Math.max(skew, 1))
      return { ok: false, code: 'TOKEN_INVALID', reason: 'iat in the future' };
    if (typeof c.nbf === 'number' && c.nbf > nowSec + skew)
      return { ok: false, code: 'TOKEN_INVALID', reason: 'nbf' };
    if (nowSec >= c.exp) return { ok: false, code: 'TOKEN_EXPIRED', reason: 'exp' };
    if (nowSec - c.iat > opts.maxAgeSec() + skew)
      return { ok: false, code: 'TOKEN_EXPIRED', reason: 'max age' };
    return { ok: true, claims: c as unknown as AccessClaims };
  }

  return {
    /** Synchronous: no I/O. An unknown kid answers TOKEN_INVALID with `kid` set. */
    verify(token: string): VerifyResult {
      const now = opts.clock.now();
      const cached = cache.get(token, now);
      if (cached) {
        // The lifetime is a run-time setting: a lowered one shortens cached
        // tokens too. Revocation entries only outlive tokens of the current
        // lifetime, so an older token must not slip through from the cache.
        if (Math.floor(now / 1000) - cached.iat > opts.maxAgeSec() + opts.clockSkewSec)
          return { ok: false, code: 'TOKEN_EXPIRED', reason: 'max age' };
        return { ok: true, claims: cached };
      }
      if (token.length > MAX_TOKEN_LENGTH)
        return { ok: false, code: 'TOKEN_INVALID', reason: 'too long' };
      const d1 = token.indexOf('.');
      const d2 = token.indexOf('.', d1 + 1);
      if (d1 <= 0 || d2 <= d1 + 1 || d2 === token.length - 1 || token.indexOf('.', d2 + 1) !== -1) {
        return { ok: false, code: 'TOKEN_INVALID', reason: 'format' };
      }
      const hSeg = token.slice(0, d1);
      const pSeg = token.slice(d1 + 1, d2);
      const sSeg = token.slice(d2 + 1);
      const header = parseHeader(hSeg);
      if (header === null) return { ok: false, code: 'TOKEN_INVALID', reason: 'header' };
      if (typeof header === 'string')
        return { ok: false, code: 'TOKEN_INVALID', reason: 'unknown kid', kid: header };
      if (!checkSignature(header.key, token.slice(0, d2), sSeg))
        return { ok: false, code: 'TOKEN_INVALID', reason: 'signature' };
      // Few distinct headers exist (one per key): cache them, bounded, and only
      // those a real signature came under, so forged spellings cannot fill it.
      if (header.fresh && headers.size < 1000) headers.set(hSeg, { key: header.key });
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(Buffer.from(pSeg, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
      } catch {
        return { ok: false, code: 'TOKEN_INVALID', reason: 'payload' };
      }
      if (!payload || typeof payload !== 'object' || Array.isArray(payload))
        return { ok: false, code: 'TOKEN_INVALID', reason: 'payload' };
      const res = checkClaims(payload, Math.floor(now / 1000));
      if (res.ok && cache.seenBefore(sSeg)) cache.set(token, res.claims, res.claims.exp * 1000);
      return res;
    },
    /** Drops every cached verification (a key was withdrawn). */
    clear(): void {
      cache.clear();
      headers.clear();
    },
    cacheSize: (): number => cache.size,
  };
}

export type Verifier = ReturnType<typeof createVerifier>;
