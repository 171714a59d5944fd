import { VerifyError, statusOf, type VerifyErrorCode } from './errors.js';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined | null): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const m = /^Bearer +([^\s]+) *$/i.exec(h);
  return m?.[1];
}

/** What a middleware answers for a refused token: status, headers, JSON body (Tessera's envelope). */
export function refusalOf(e: VerifyError): {
  status: number;
  headers: Record<string, string>;
  body: { code: number; error: VerifyErrorCode; message: string };
} {
  const status = statusOf(e.code);
  const headers: Record<string, string> = {};
  // RFC 6750 §3: a bearer-token refusal says so; a missing token names no error.
  if (status === 401)
    headers['www-authenticate'] =
      e.code === 'TOKEN_MISSING' ? 'Bearer' : 'Bearer error="invalid_token"';
  else headers['retry-after'] = '5';
  return { status, headers, body: { code: status, error: e.code, message: e.message } };
}

/** A header that does not hold one bearer token: TOKEN_MISSING when absent, else TOKEN_INVALID. */
export function missing(header: unknown): VerifyError {
  return new VerifyError(header ? 'TOKEN_INVALID' : 'TOKEN_MISSING', 'authorization');
}
