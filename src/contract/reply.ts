import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Locale, MessageKey } from './errors.js';
import { pickLocale, successMessage } from './i18n.js';

/** JSON schema of the seed envelope `{ code, message, data }` around `data`. */
export function envelope(data: object = { type: 'null' }): object {
  return {
    type: 'object',
    required: ['code', 'message', 'data'],
    properties: { code: { type: 'integer' }, message: { type: 'string' }, data },
  };
}

/** Error envelope: adds the machine-readable `error` code. */
const errorEnvelope = {
  type: 'object',
  required: ['code', 'message', 'error', 'data'],
  properties: {
    code: { type: 'integer' },
    message: {
      type: 'string',
      description: 'Starts with the error code and ": " (seed 001 clients look for it).',
    },
    error: { type: 'string' },
    data: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

// Only its type is used: the statuses a route may declare.
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the const is the single source of the union type
const ERROR_STATUSES = [
  '400',
  '401',
  '403',
  '404',
  '409',
  '413',
  '423',
  '429',
  '500',
  '502',
  '503',
  '504',
] as const;
export type ErrorStatus = (typeof ERROR_STATUSES)[number];

/** A route's `response` map: its success shapes plus the error envelope for the listed statuses. */
export function responses(
  ok: Record<string, object>,
  errors: readonly ErrorStatus[] = [],
): Record<string, object> {
  const out: Record<string, object> = { ...ok };
  for (const s of new Set<ErrorStatus>(['400', '500', ...errors])) out[s] = errorEnvelope;
  return out;
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
