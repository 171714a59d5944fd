import { servesTenants } from '../contract/tenant-routes.js';
import type { TenantId } from '../db/scope.js';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { envelope, ok, responses } from '../contract/reply.js';
import { fail } from '../lib/errors.js';
import { createAuditQuery } from './query.js';
import { auditPage, auditQuery } from './schemas.js';

type Query = {
  user_id?: number;
  ip?: string;
  event?: string;
  from?: string;
  to?: string;
  page: number;
  page_size: number;
};

/** Epoch ms or ISO 8601 → ms; anything else is a validation error naming the field. */
function instant(field: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n))
    fail('VALIDATION_FAILED', {
      detail: `${field} must be epoch milliseconds or an ISO 8601 date-time`,
    });
  return n;
}

/** `GET <ctx>/admin/audit`: the audit log, filtered, newest first (permission audit:read). */
export function auditRoutes(scope: (tenant: TenantId) => Kysely<Database>) {
  // One query object per tenant, made on first use (a few closures each).
  const queries = new Map<TenantId, ReturnType<typeof createAuditQuery>>();
  const queryOf = (t: TenantId) => {
    let q = queries.get(t);
    if (!q) {
      if (queries.size >= 1000) queries.delete(queries.keys().next().value!);
      queries.set(t, (q = createAuditQuery(scope(t))));
    }
    return q;
  };
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.get<{ Querystring: Query }>(
      '/admin/audit',
      {
        config: { auth: 'jwt', requires: 'audit:read' },
        schema: {
          tags: ['admin: audit'],
          security: [{ bearer: [] }],
          summary: 'Audit log: filter by user, IP, event and time; newest first',
          querystring: auditQuery,
          response: responses({ 200: envelope(auditPage) }),
        },
      },
      async (req, reply) => {
        const q = req.query;
        const { total, rows } = await queryOf(req.tenant).list({
          userId: q.user_id,
          ip: q.ip,
          event: q.event,
          from: instant('from', q.from),
          to: instant('to', q.to),
          limit: q.page_size,
          offset: (q.page - 1) * q.page_size,
        });
        return ok(req, reply, { items: rows, total, page: q.page, page_size: q.page_size });
      },
    );
  };
}
