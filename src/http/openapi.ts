import { STATUS_CODES } from 'node:http';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { errorDef, type ErrorCode } from '../contract/errors.js';
import { errorEnvelope } from '../contract/reply.js';

declare module 'fastify' {
  interface FastifySchema {
    /** Vendor extensions of the operation (`x-…`), copied as they are into the OpenAPI document. */
    [extension: `x-${string}`]: unknown;
  }
}

/** What the guard of src/http/auth.ts answers before the handler runs. */
const JWT_GUARD: readonly ErrorCode[] = [
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'SESSION_ENDED',
];
const API_TOKEN_GUARD: readonly ErrorCode[] = ['TOKEN_MISSING', 'TOKEN_INVALID'];
/**
 * What any route may answer, whatever it declares: a request its schema refuses, a path the router
 * or the tenant resolution (src/http/tenant.ts, before anything else) does not know, a fault of
 * ours, an outage of PostgreSQL or Redis (503 with Retry-After).
 */
const SHELL: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'TENANT_NOT_FOUND',
  'INTERNAL',
  'UNAVAILABLE',
];
/** Methods whose requests may carry a body, so a body over TESSERA_BODY_LIMIT_BYTES (413). */
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Guard =
  | { kind: 'none' }
  | { kind: 'api-token' }
  | { kind: 'jwt'; permissions: readonly string[]; minLevel?: number };

/** The guard a route gets, read from the same places src/http/auth.ts reads. */
function guardOf(route: RouteOptions, publicTokenPaths: readonly string[]): Guard {
  const url = route.url ?? '';
  if (publicTokenPaths.some((p) => url.startsWith(p))) return { kind: 'api-token' };
  const cfg = route.config;
  if (cfg?.auth !== 'jwt') return { kind: 'none' };
  const req = cfg.requires;
  const permissions = req === undefined ? [] : typeof req === 'string' ? [req] : req;
  return cfg.minLevel === undefined
    ? { kind: 'jwt', permissions }
    : { kind: 'jwt', permissions, minLevel: cfg.minLevel };
}

function guardText(g: Guard): string {
  if (g.kind === 'none') return '**Access:** public (no token).';
  if (g.kind === 'api-token')
    return '**Access:** a public API token (`TESSERA_PUBLIC_API_TOKENS`) as `Authorization: Bearer` or `X-Api-Token`.';
  const parts = ['**Access:** a bearer access token'];
  if (g.permissions.length)
    parts.push(
      `whose roles grant ${g.permissions.map((p) => `\`${p}\``).join(' and ')} (403 FORBIDDEN otherwise)`,
    );
  if (g.minLevel !== undefined) parts.push(`of a role of level ${g.minLevel} or more`);
  return `${parts.join(' ')}.`;
}

const pascal = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/**
 * A stable camelCase operationId from the method and the path, unique because the pair is:
 * `POST /api/admin/users/:id/roles` → `postAdminUsersByIdRoles`. The context path is left out,
 * so the ids do not change with TESSERA_CONTEXT_PATH; a route may set its own.
 */
export function operationIdOf(method: string, url: string, contextPath: string): string {
  const path =
    contextPath && url.startsWith(`${contextPath}/`) ? url.slice(contextPath.length) : url;
  const words = path
    .split('/')
    .filter(Boolean)
    .flatMap((seg) =>
      seg.startsWith(':') || seg.startsWith('{')
        ? [
            `By${pascal(seg.replace(/^[:{]|}$/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()))}`,
          ]
        : seg
            .split(/[^A-Za-z0-9]+/)
            .filter(Boolean)
            .map(pascal),
    );
  return method.toLowerCase() + words.join('');
}

type ErrorEntry = { properties?: { error?: { enum?: readonly string[] } } } & object;

/**
 * The route's error entries with the guard's and the shell's codes merged in, one per status,
 * each listing its codes (in `error`'s enum and in the description).
 */
function withErrors(
  response: Record<string, object> | undefined,
  extra: readonly ErrorCode[],
): Record<string, object> {
  const out: Record<string, object> = response ? { ...response } : { 200: { description: 'OK' } };
  const byStatus = new Map<string, Set<string>>();
  let shape: object = errorEnvelope;
  for (const [status, entry] of Object.entries(out)) {
    const codes = (entry as ErrorEntry).properties?.error?.enum;
    // A success (or the route's own shape) gets its status text instead of "Default Response".
    if (!codes && !('description' in entry))
      out[status] = { ...entry, description: STATUS_CODES[Number(status)] ?? 'Answer' };
    if (!codes) continue;
    shape = entry;
    byStatus.set(status, new Set(codes));
  }
  for (const code of extra) {
    const status = String(errorDef(code).status);
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  for (const [status, codes] of byStatus) {
    // A route's own shape for a status (e.g. /readyz's 503) is its answer, not an error envelope.
    if (out[status] && !(out[status] as ErrorEntry).properties?.error?.enum) continue;
    const base = (out[status] ?? shape) as { properties: Record<string, object> };
    const list = [...codes];
    out[status] = {
      ...base,
      description: list.map((c) => `\`${c}\``).join(', '),
      properties: { ...base.properties, error: { type: 'string', enum: list } },
    };
  }
  return out;
}

/**
 * The OpenAPI document, derived from the routes in one place so it cannot drift from them: each
 * operation gets an operationId, its access rule (`x-permission`, `security`, a line of its
 * description) read from the route's guard config, and its error list (the codes the route
 * declares with `responses(…, codes)`, plus the guard's and the shell's).
 */
export async function installOpenApi(
  app: FastifyInstance,
  o: { contextPath: string; publicTokenPaths: readonly string[] },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version: '0.1.0',
        description:
          'Self-hosted JWT authentication server. Every /api answer is the envelope {code, message, data}; errors add `error`, one of the codes listed on each operation (docs/troubleshooting.md says what each means and what to do).',
      },
      tags: [
        {
          name: 'encrypted-login client API',
          description:
            'The public login API at `<context path>/public/auth/*` (`/api` by default), in the shape the browser `AuthService` client expects: the password encrypted with a one-time RSA key from `GET /public-key`, the `{code, message, data}` envelope, register, refresh, logout, me.',
        },
        {
          name: 'customer-service realtime API',
          description:
            'Presence for customer-service desks: token validation, heartbeat, who is online, and the WebSocket `/ws` (documented in docs/api.md: it is not an HTTP operation).',
        },
        {
          name: 'customer-service realtime API (/auth, no prefix)',
          description:
            'The same services at `/auth/*` without the `/api` prefix, answering `{success, message, data}` (errors `{success: false, message: "CODE: text", error, data}`), for existing customer-service frontends.',
        },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const s: FastifySchema = schema ?? {};
      if (s.hide) return { schema: s, url };
      const g = guardOf(route, o.publicTokenPaths);
      const method = typeof route.method === 'string' ? route.method : (route.method[0] ?? 'get');
      const extra: ErrorCode[] = [...SHELL];
      if (g.kind === 'api-token') extra.push(...API_TOKEN_GUARD);
      if (g.kind === 'jwt') extra.push(...JWT_GUARD);
      if (g.kind === 'jwt' && (g.permissions.length || g.minLevel !== undefined))
        extra.push('FORBIDDEN');
      if (WITH_BODY.has(method.toUpperCase())) extra.push('PAYLOAD_TOO_LARGE');
      // The per-IP budget of anonymous public routes (src/request-budgets/).
      if (g.kind === 'none' && url.startsWith(`${o.contextPath}/public/`))
        extra.push('RATE_LIMITED');
      const access = guardText(g);
      const out: FastifySchema = {
        ...s,
        operationId: s.operationId ?? operationIdOf(method, url, o.contextPath),
        description: s.description ? `${s.description}\n\n${access}` : access,
        security:
          s.security ??
          (g.kind === 'jwt' ? [{ bearer: [] }] : g.kind === 'api-token' ? [{ apiToken: [] }] : []),
        'x-permission':
          g.kind === 'jwt'
            ? g.permissions.length
              ? [...g.permissions]
              : ['authenticated']
            : g.kind === 'api-token'
              ? ['public-api-token']
              : [],
        ...(g.kind === 'jwt' && g.minLevel !== undefined ? { 'x-min-level': g.minLevel } : {}),
        response: withErrors(s.response as Record<string, object> | undefined, extra),
      };
      return { schema: out, url };
    },
  });
}
