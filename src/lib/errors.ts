import { errorDef, type ErrorCode } from '../contract/errors.js';

/**
 * The one error type a request can end with. `detail` is safe to show the
 * client (e.g. which field failed validation); `logMessage` stays in the log.
 * Never put a token, password or secret in either.
 */
export class TesseraError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly opts: {
      detail?: string;
      /** `detail` in each language, when it has been translated (picked by Accept-Language). */
      localized?: { en: string; zh: string };
      data?: Record<string, unknown> | null;
      headers?: Record<string, string>;
      logMessage?: string;
    } = {},
  ) {
    super(opts.logMessage ?? code);
    this.name = 'TesseraError';
  }

  /** The code's HTTP status, from the error table (a feature's codes are registered at start). */
  get status(): number {
    return errorDef(this.code).status;
  }
}

/** Throw a TesseraError. Typed `never` so control flow knows it ends here. */
export function fail(code: ErrorCode, opts?: TesseraError['opts']): never {
  throw new TesseraError(code, opts);
}

export function isTesseraError(e: unknown): e is TesseraError {
  return e instanceof Error && e.name === 'TesseraError' && 'code' in e;
}

/** 429 with Retry-After in whole seconds (at least 1). */
export function rateLimited(retryAfterMs: number, code: ErrorCode = 'RATE_LIMITED'): never {
  const secs = Math.max(1, Math.ceil(retryAfterMs / 1000));
  throw new TesseraError(code, {
    headers: { 'retry-after': String(secs) },
    data: { retry_after: secs },
  });
}
