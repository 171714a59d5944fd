import type { FastifyError } from 'fastify';
import type { ErrorCode } from './errors.js';

/** Seconds a client is told to wait when a dependency is down. */
export const OUTAGE_RETRY_AFTER_SEC = 5;

/** Client errors Fastify raises itself, mapped to our codes. */
export function frameworkError(err: FastifyError): { code: ErrorCode; detail?: string } | null {
  if (err.validation) {
    const detail = `${err.validationContext ?? 'request'}${err.message.replace(/^(body|querystring|params|headers)/, '')}`;
    return { code: 'VALIDATION_FAILED', detail: detail.slice(0, 200) };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'VALIDATION_FAILED', detail: 'send the body as application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'VALIDATION_FAILED', detail: 'the JSON body is empty' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'VALIDATION_FAILED', detail: 'the body is not valid JSON' };
  }
  if (err instanceof SyntaxError)
    return { code: 'VALIDATION_FAILED', detail: 'the body is not valid JSON' };
  const status = err.statusCode ?? 500;
  if (status === 404) return { code: 'NOT_FOUND' };
  if (status === 405) return { code: 'METHOD_NOT_ALLOWED' };
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE' };
  if (status === 429) return { code: 'RATE_LIMITED' };
  if (status >= 400 && status < 500) return { code: 'VALIDATION_FAILED' };
  return null;
}
