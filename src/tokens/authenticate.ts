import type { ErrorCode } from '../contract/errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { LastSeen } from '../sessions/last-seen.js';
import type { RevocationList } from '../sessions/revocation.js';
import type { AccessClaims } from './claims.js';
import type { Verifier } from './verifier.js';

export type AuthResult =
  { ok: true; claims: AccessClaims } | { ok: false; code: ErrorCode; kid?: string };

/**
 * Steps 3 and 4 of seed 002's chain for one access token: signature and
 * claims (verifier), then session alive / token not revoked (in-memory set).
 * No database or Redis round trip. Used by HTTP routes and the WebSocket upgrade.
 */
export function createAuthenticator(d: {
  verifier: Verifier;
  revocations: RevocationList;
  keyring: Keyring;
  lastSeen: LastSeen;
}) {
  function check(token: string): AuthResult {
    const r = d.verifier.verify(token);
    if (!r.ok) return r.kid ? { ok: false, code: r.code, kid: r.kid } : { ok: false, code: r.code };
    const c = r.claims;
    const revoked = d.revocations.check(c.sid, c.jti, c.sub, c.iat);
    if (revoked) return { ok: false, code: revoked };
    d.lastSeen.touch(c.sid);
    return { ok: true, claims: c };
  }
  return {
    check,
    /** Like check, but an unknown `kid` first reloads the keyring (rate-limited). */
    async checkFresh(token: string): Promise<AuthResult> {
      const r = check(token);
      if (r.ok || !r.kid) return r;
      const key = await d.keyring.lookupFresh(r.kid);
      return key ? check(token) : { ok: false, code: 'TOKEN_INVALID' };
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header || header.length < 8) return null;
  if (header.charCodeAt(6) !== 32 || header.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const t = header.slice(7).trim();
  return t.length ? t : null;
}
