import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { servesTenants } from '../contract/tenant-routes.js';
import type { Outbox } from './outbox.js';
import { outboxPage, outboxQuery } from './schemas.js';

/** `GET <ctx>/admin/outbox`: the mails kept when no SMTP server is configured (permission mail:read). */
export function outboxRoutes(outbox: Outbox) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.get<{ Querystring: { to?: string; limit: number } }>(
      '/admin/outbox',
      {
        config: { auth: 'jwt', requires: 'mail:read' },
        schema: {
          tags: ['admin: mail'],
          security: [{ bearer: [] }],
          summary: 'Outbox: mails kept instead of sent (no SMTP server configured), newest first',
          querystring: outboxQuery,
          response: responses({ 200: envelope(outboxPage) }),
        },
      },
      async (req, reply) => {
        const items = await outbox.list(req.tenant, { to: req.query.to, limit: req.query.limit });
        return ok(req, reply, { items });
      },
    );
  };
}
