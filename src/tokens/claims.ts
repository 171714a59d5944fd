/**
 * Claims of a Tessera access token (seed 003 §1 plus RFC 9068 names).
 * Header: `{ alg, kid, typ: "at+jwt" }`.
 */
export interface AccessClaims {
  iss: string;
  aud: string;
  /** Tenant id; tokens issued before tenants existed have none and are the default tenant's. */
  tid?: string;
  /** User id, as a string (RFC 7519). */
  sub: string;
  /** Session id: the session this token belongs to. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  /** Highest role (seed 003 `role`). */
  role: string;
  /** That role's ordinal level (seed 003 `level`). */
  level: number;
  /** Space-separated permissions (RFC 9068 / RFC 8693 `scope`). */
  scope: string;
  roles: string[];
  user_type: string;
  username: string;
}

export const ACCESS_TYP = 'at+jwt';
