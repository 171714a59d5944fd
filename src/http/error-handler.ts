import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../contract/errors.js';
import { ERRORS } from '../contract/errors.js';
import { errorMessage } from './i18n.js';
import { localeOf } from './envelope.js';
import { isTesseraError } from '../lib/errors.js';
import { outageOf, type Dependency } from '../infra/health.js';

/** The body of every error answer: the seed envelope plus `error`. */
function errorBody(
  code: ErrorCode,
  req: FastifyRequest,
  detail?: string,
  data: Record<string, unknown> | null = null,
) {
  return {
    code: ERRORS[code].status,
    message: errorMessage(code, localeOf(req), detail),
    error: code,
    data,
  };
}

function sendError(
  reply: FastifyReply,
  req: FastifyRequest,
  code: ErrorCode,
  detail?: string,
  data: Record<string, unknown> | null = null,
  headers?: Record<string, string>,
) {
  if (headers) reply.headers(headers);
  return reply.code(ERRORS[code].status).send(errorBody(code, req, detail, data));
}

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

/**
 * One error handler: TesseraErrors become their envelope; framework client
 * errors become VALIDATION_FAILED & co.; anything else is logged and answered
 * INTERNAL without a stack trace or a library name.
 */
/** Seconds a client is told to wait when a dependency is down. */
export const OUTAGE_RETRY_AFTER_SEC = 5;

export function installErrorHandling(
  app: FastifyInstance,
  opts: { onOutage?: (dep: Dependency, err: unknown) => void } = {},
): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isTesseraError(err)) {
      return sendError(
        reply,
        req,
        err.code,
        err.opts.detail,
        err.opts.data ?? null,
        err.opts.headers,
      );
    }
    const mapped = frameworkError(err);
    if (mapped) return sendError(reply, req, mapped.code, mapped.detail);
    // A known outage (database or Redis unreachable): 503 with Retry-After,
    // logged once per outage by the health tracker, not once per request.
    const dep = outageOf(err);
    if (dep) {
      opts.onOutage?.(dep, err);
      const secs = String(OUTAGE_RETRY_AFTER_SEC);
      return sendError(
        reply,
        req,
        'UNAVAILABLE',
        undefined,
        { retry_after: OUTAGE_RETRY_AFTER_SEC },
        { 'retry-after': secs },
      );
    }
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, req, 'INTERNAL');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, req, 'NOT_FOUND'));
}
