import type { FastifyError, FastifyInstance } from 'fastify';
import { errorDef, type ErrorCode } from '../contract/errors.js';
import { localeOf } from '../contract/reply.js';
import { frameworkError, OUTAGE_RETRY_AFTER_SEC } from '../contract/framework-errors.js';
import { isTesseraError } from '../lib/errors.js';
import { errorMessage } from '../contract/i18n.js';
import { outageOf, type Dependency } from '../infra/health.js';

/**
 * Seed 000's error shape: `{ success: false, message: "CODE: text", error: "CODE", data: null }`;
 * a challenge (a 401 that carries data: MFA_REQUIRED's ticket) keeps its data.
 */
export const seedErrorSchema = {
  type: 'object',
  required: ['success', 'message', 'error', 'data'],
  properties: {
    success: { type: 'boolean' },
    message: { type: 'string' },
    error: { type: 'string' },
    data: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

/**
 * Scoped to the seed-000 plugin: the same codes, statuses, messages and
 * headers as the main error handler (same classification), in the seed's shape.
 */
export function installSeedErrors(
  app: FastifyInstance,
  onOutage?: (dep: Dependency, err: unknown) => void,
): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let code: ErrorCode = 'INTERNAL';
    let detail: string | undefined;
    let data: Record<string, unknown> | null = null;
    if (isTesseraError(err)) {
      code = err.code;
      detail = err.opts.detail;
      if (err.status === 401 && err.opts.data) data = err.opts.data;
      if (err.opts.headers) reply.headers(err.opts.headers);
    } else {
      const m = frameworkError(err);
      const dep = m ? null : outageOf(err);
      if (m) ({ code, detail } = m);
      else if (dep) {
        onOutage?.(dep, err);
        code = 'UNAVAILABLE';
        reply.header('retry-after', String(OUTAGE_RETRY_AFTER_SEC));
      } else req.log.error({ err }, 'unhandled error');
    }
    return reply.code(errorDef(code).status).send({
      success: false,
      message: errorMessage(code, localeOf(req), detail),
      error: code,
      data,
    });
  });
}
