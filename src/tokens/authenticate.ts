import type { ErrorCode } from '../contract/errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { LastSeen } from '../sessions/last-seen.js';
import type { RevocationList } from '../sessions/revocation.js';
import type { SessionFacts, SessionTable } from '../sessions/table.js';
import type { AccessClaims } from './claims.js';
import type { Verifier } from './verifier.js';

export type AuthResult =
  | { ok: true; claims: AccessClaims }
  | {
      ok: false;
      code: ErrorCode;
      /** The token names a key this node does not hold: `checkFresh` reloads the keys. */
      kid?: string;
      /** The token's session is unknown to this node: `checkFresh` reads it once. */
      confirm?: string;
    };

/**
 * Steps 3 and 4 of seed 002's chain for one access token: signature and
 * claims (verifier), token not revoked (in-memory set), then its `sid` a live
 * session of its `sub` in this tenant (the node's session table). No database
 * or Redis round trip in the steady state; a session this node has not seen
 * yet is read once (`checkFresh`). Used by HTTP routes and the WebSocket upgrade.
 */
export function createAuthenticator(d: {
  verifier: Verifier;
  revocations: RevocationList;
  keyring: Keyring;
  lastSeen: LastSeen;
  /** The tenant whose tokens these are (the verifier pins `tid` to it). */
  tenant: string;
  sessions: SessionTable;
  /** One session row by id, through the tenant's scope. */
  readSession: (sid: string) => Promise<SessionFacts | undefined>;
}) {
  function check(token: string): AuthResult {
    const r = d.verifier.verify(token);
    if (!r.ok) return r.kid ? { ok: false, code: r.code, kid: r.kid } : { ok: false, code: r.code };
    const c = r.claims;
    const revoked = d.revocations.check(c.sid, c.jti, c.sub, c.iat);
    if (revoked) return { ok: false, code: revoked };
    const held = d.sessions.check(c.sid, c.sub, d.tenant);
    if (held === undefined) return { ok: false, code: 'TOKEN_INVALID', confirm: c.sid };
    if (held) return { ok: false, code: held };
    d.lastSeen.touch(c.sid);
    return { ok: true, claims: c };
  }
  return {
    check,
    /**
     * Like check, but an unknown `kid` first reloads the keyring (rate-limited)
     * and an unknown session is read once. A read that fails throws (an outage
     * answers 503 UNAVAILABLE): a session that cannot be confirmed is never accepted.
     */
    async checkFresh(token: string): Promise<AuthResult> {
      let r = check(token);
      if (r.ok) return r;
      if (r.kid) {
        if (!(await d.keyring.lookupFresh(r.kid))) return { ok: false, code: 'TOKEN_INVALID' };
        r = check(token);
      }
      if (r.ok || !r.confirm) return r;
      await d.sessions.confirm(r.confirm, d.tenant, d.readSession);
      r = check(token);
      return r.ok || !r.confirm ? r : { ok: false, code: 'TOKEN_INVALID' };
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
