/**
 * Why a token was refused. Stable: branch on `code`, never on the message.
 *  - TOKEN_MISSING: no bearer token (middleware only);
 *  - TOKEN_INVALID: malformed, bad signature, wrong alg / typ / iss / aud, unknown key;
 *  - TOKEN_EXPIRED: past `exp` (beyond the clock tolerance);
 *  - SESSION_ENDED: the token's session was ended (logout, force logout, expiry by Tessera);
 *  - TOKEN_REVOKED: this token, or every token its user held before a cut-off, was revoked;
 *  - REVOCATIONS_UNAVAILABLE: fail closed: the revocation feed has been out of reach for
 *    longer than `failClosedAfterMs`, so a revoked token could not be told apart;
 *  - KEYS_UNAVAILABLE: the JWKS could not be fetched (not the token's fault: answer 503).
 */
export type VerifyErrorCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'SESSION_ENDED'
  | 'TOKEN_REVOKED'
  | 'REVOCATIONS_UNAVAILABLE'
  | 'KEYS_UNAVAILABLE';

const MESSAGES: Record<VerifyErrorCode, string> = {
  TOKEN_MISSING: 'Authentication is required',
  TOKEN_INVALID: 'The token is not valid',
  TOKEN_EXPIRED: 'The token has expired',
  SESSION_ENDED: 'The session has ended',
  TOKEN_REVOKED: 'The token has been revoked',
  REVOCATIONS_UNAVAILABLE: 'Token revocations cannot be checked right now',
  KEYS_UNAVAILABLE: 'The signing keys cannot be read right now',
};

/** The HTTP status a middleware answers with. */
export function statusOf(code: VerifyErrorCode): number {
  return code === 'REVOCATIONS_UNAVAILABLE' || code === 'KEYS_UNAVAILABLE' ? 503 : 401;
}

/**
 * A refused token. `reason` says which check failed (`alg`, `iss`, `aud`, `typ`, `signature`,
 * `kid`, `exp`, `sid`…); neither the message nor `reason` ever contains the token.
 */
export class VerifyError extends Error {
  override readonly name = 'VerifyError';
  constructor(
    readonly code: VerifyErrorCode,
    readonly reason: string = code,
  ) {
    super(MESSAGES[code]);
  }
  get status(): number {
    return statusOf(this.code);
  }
}
