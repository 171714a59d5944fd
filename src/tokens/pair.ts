import type { Clock } from '../lib/clock.js';
import type { UserRow } from '../users/store.js';
import type { AccessClaims } from './claims.js';
import type { AccessIssuer } from './issue.js';

/** What login and refresh answer (seed 001's field names). */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_expires_in: number;
}

export type PairIssuer = (
  user: UserRow,
  roles: string[],
  session: { id: string; expires_at: number },
  refreshToken: string,
  refreshExp: number,
) => Promise<{ tokens: TokenPair; claims: AccessClaims }>;

/** Signs the access token of a session and pairs it with its refresh token. */
export function createPairIssuer(issuer: AccessIssuer, clock: Clock): PairIssuer {
  return async (user, roles, session, refreshToken, refreshExp) => {
    const access = await issuer.issue(user, roles, session);
    return {
      claims: access.claims,
      tokens: {
        access_token: access.token,
        refresh_token: refreshToken,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        refresh_expires_in: Math.max(0, Math.round((refreshExp - clock.now()) / 1000)),
      },
    };
  };
}
