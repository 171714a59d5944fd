import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorDef, type ErrorCode, type Locale, type MessageKey } from './errors.js';
import { pickLocale, successMessage } from './i18n.js';

/** JSON schema of the envelope `{ code, message, data }` around `data`. */
export function envelope(data: object = { type: 'null' }): object {
  return {
    type: 'object',
    required: ['code', 'message', 'data'],
    properties: { code: { type: 'integer' }, message: { type: 'string' }, data },
  };
}

/** Error envelope: adds the machine-readable `error` code. */
export const errorEnvelope = {
  type: 'object',
  required: ['code', 'message', 'error', 'data'],
  properties: {
    code: { type: 'integer' },
    message: {
      type: 'string',
      description:
        'Starts with the error code and ": " (encrypted-login clients look for it there).',
    },
    error: { type: 'string' },
    data: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

/**
 * What any answer of the login pipeline may be refused with, whichever route ends it (a login,
 * a second-factor verify, a forced enrolment): credentials or challenge, disabled, session
 * policy, lock, rate limit, outage. The codes of features that run login steps (brute-force,
 * second factor, e-mail verification) are listed too: the pipeline is one.
 */
export const LOGIN_ERRORS = [
  'INVALID_CREDENTIALS',
  'KEY_EXPIRED',
  'KEY_NOT_FOUND',
  'CAPTCHA_REQUIRED',
  'CAPTCHA_FAILED',
  'ACCOUNT_LOCKED',
  'ACCOUNT_DISABLED',
  'EMAIL_NOT_VERIFIED',
  'MFA_REQUIRED',
  'MFA_INVALID',
  'MFA_CODE_REUSED',
  'MFA_ENROLL_REQUIRED',
  'LOGIN_REJECTED',
  'RATE_LIMITED',
  'UNAVAILABLE',
] as const satisfies readonly ErrorCode[];

/** Codes every route may answer: a request its schema refuses, and a fault of ours. */
const ALWAYS: readonly ErrorCode[] = ['VALIDATION_FAILED', 'INTERNAL'];

/**
 * The error entries of a route's `response` map, from the codes it can answer: one entry per
 * status, whose `error` enumerates that status's codes (the OpenAPI document lists them, see
 * src/http/openapi.ts). The status comes from the error table, so it cannot drift; a code not
 * in the table throws when the route is registered.
 */
export function errorResponses(
  errors: readonly ErrorCode[],
  shape: { properties: Record<string, object> } & object = errorEnvelope,
): Record<string, object> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...ALWAYS, ...errors])) {
    const status = errorDef(code).status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, object> = {};
  for (const [status, codes] of byStatus)
    out[String(status)] = {
      ...shape,
      description: codes.map((c) => `\`${c}\``).join(', '),
      properties: { ...shape.properties, error: { type: 'string', enum: codes } },
    };
  return out;
}

/**
 * A route's `response` map: its success shapes plus the error envelope for the codes it can
 * answer (VALIDATION_FAILED and INTERNAL always; the guard's codes are added to the OpenAPI
 * document from the route's `config`, src/http/openapi.ts).
 */
export function responses(
  ok: Record<string, object>,
  errors: readonly ErrorCode[] = [],
): Record<string, object> {
  return { ...ok, ...errorResponses(errors) };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's fallback locale (TESSERA_DEFAULT_LOCALE), set by buildApp. */
    defaultLocale?: Locale;
  }
}

/** The client's language (Accept-Language), else the app's default. */
export function localeOf(req: FastifyRequest): Locale {
  return pickLocale(req.headers['accept-language'], req.server.defaultLocale ?? 'en');
}

/** Sends a success envelope. */
export function ok(
  req: FastifyRequest,
  reply: FastifyReply,
  data: unknown,
  opts: { status?: number; message?: MessageKey } = {},
): FastifyReply {
  const status = opts.status ?? 200;
  return reply.code(status).send({
    code: status,
    message: successMessage(opts.message ?? 'OK', localeOf(req)),
    data: data ?? null,
  });
}
