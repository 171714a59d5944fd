import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../contract/errors.js';
import { errorDef } from '../contract/errors.js';
import { frameworkError, OUTAGE_RETRY_AFTER_SEC } from '../contract/framework-errors.js';
import { errorMessage } from '../contract/i18n.js';
import { localeOf } from '../contract/reply.js';
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
    code: errorDef(code).status,
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
  return reply.code(errorDef(code).status).send(errorBody(code, req, detail, data));
}

/**
 * Fastify's router refuses some URLs before any route or hook runs (`frameworkErrors`): a
 * percent-encoding that does not decode (FST_ERR_BAD_URL) and a path parameter over
 * maxParamLength (FST_ERR_MAX_PARAM_LENGTH). Its own answer is not the envelope and echoes the
 * whole URL back; this one is the envelope and echoes nothing. Found by the fuzz suite.
 */
export function answerFrameworkError(
  err: FastifyError,
  req: FastifyRequest,
  reply: FastifyReply,
): void {
  const detail =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path parameter is too long'
      : 'the URL is not valid (bad percent-encoding)';
  void sendError(reply, req, 'VALIDATION_FAILED', detail);
}

/**
 * One error handler: TesseraErrors become their envelope; framework client
 * errors become VALIDATION_FAILED & co.; anything else is logged and answered
 * INTERNAL without a stack trace or a library name.
 */

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
        err.opts.localized?.[localeOf(req)] ?? err.opts.detail,
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
