/**
 * The error codes Tessera answers with. A copy of the server's table
 * (src/contract/errors.ts and each feature's errors.ts), not an import: the
 * server's `ErrorCode` type is completed by declaration merging from feature
 * folders, so importing it would pull server code into this package's build.
 * `errors.test.ts` keeps the copy in step with the running server's table.
 */
export const ERROR_CODES = [
  // core (src/contract/errors.ts)
  'VALIDATION_FAILED',
  'PASSWORD_WEAK',
  'INVALID_CREDENTIALS',
  'KEY_EXPIRED',
  'KEY_NOT_FOUND',
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'SESSION_ENDED',
  'MFA_REQUIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'TENANT_NOT_FOUND',
  'TENANT_EXISTS',
  'METHOD_NOT_ALLOWED',
  'USER_EXISTS',
  'IDENTITY_IN_USE',
  'LAST_LOGIN_METHOD',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'ACCOUNT_DISABLED',
  'LOGIN_REJECTED',
  'RATE_LIMITED',
  'INTERNAL',
  'UNAVAILABLE',
  // brute force and captcha
  'CAPTCHA_REQUIRED',
  'CAPTCHA_FAILED',
  'ACCOUNT_LOCKED',
  // second factor
  'MFA_INVALID',
  'MFA_CODE_REUSED',
  'MFA_TICKET_INVALID',
  'MFA_ENROLL_REQUIRED',
  'MFA_NOT_ENROLLED',
  'MFA_ALREADY_ENROLLED',
  // credentials
  'EMAIL_NOT_VERIFIED',
  // external identity providers
  'OAUTH_PROVIDER_UNKNOWN',
  'OAUTH_PROVIDER_EXISTS',
  'OAUTH_RETURN_URL_INVALID',
  'OAUTH_STATE_INVALID',
  'OAUTH_DENIED',
  'OAUTH_CODE_REJECTED',
  'OAUTH_ID_TOKEN_INVALID',
  'OAUTH_PROVIDER_FAILED',
  'OAUTH_PROVIDER_TIMEOUT',
  'OAUTH_SIGNUP_DISABLED',
  'OAUTH_CODE_INVALID',
  'IDENTITY_CONFIRM_REQUIRED',
  'IDENTITY_LINK_TICKET_INVALID',
  // WeChat
  'WECHAT_NOT_CONFIGURED',
  'WECHAT_CODE_INVALID',
  'WECHAT_CODE_USED',
  'WECHAT_RATE_LIMITED',
  'WECHAT_UNAVAILABLE',
  'WECHAT_TIMEOUT',
] as const;

/** Codes this client makes up itself: the server was not reached or did not answer JSON. */
export const CLIENT_ERROR_CODES = ['NETWORK_ERROR', 'BAD_RESPONSE'] as const;

/**
 * A code the server or this client may answer with. Open: a newer server may
 * send codes this version does not list, so branch on the ones you know and
 * treat the rest alike.
 */
export type ErrorCode =
  (typeof ERROR_CODES)[number] | (typeof CLIENT_ERROR_CODES)[number] | (string & {});

const BRAND = Symbol.for('tessera-auth.error');

/**
 * An answer in Tessera's error envelope `{ code, message, error, data }`, or a
 * request that never got one (`NETWORK_ERROR`, `BAD_RESPONSE`, `status` 0).
 * Tell it apart with `isTesseraError(e)`, which works across duplicate copies
 * of this package in one bundle (an `instanceof` would not).
 */
export class TesseraError extends Error {
  override readonly name = 'TesseraError';
  readonly [BRAND] = true;
  /** Machine-readable code, e.g. `INVALID_CREDENTIALS`; never localised. */
  readonly code: ErrorCode;
  /** HTTP status (the envelope's `code`); 0 when no answer came. */
  readonly status: number;
  /** The envelope's `data`: e.g. `{ mfa_ticket, methods, expires_in }` with MFA_REQUIRED. */
  readonly data: Readonly<Record<string, unknown>> | null;
  /** Seconds from the `Retry-After` header (429, 503), when the server sent one. */
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    o: { data?: Record<string, unknown> | null; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.code = code;
    this.status = status;
    this.data = o.data ?? null;
    this.retryAfter = o.retryAfter;
  }
}

/** True for a TesseraError from any copy of this package. */
export function isTesseraError(e: unknown): e is TesseraError {
  return typeof e === 'object' && e !== null && (e as { [BRAND]?: unknown })[BRAND] === true;
}
