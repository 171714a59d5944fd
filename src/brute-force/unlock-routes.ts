import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { fail } from '../lib/errors.js';
import { actorMeta } from '../contract/request-meta.js';
import type { BruteForcePolicy } from './policy.js';

/** `POST <ctx>/admin/users/:id/unlock` (users:write): ends a brute-force lock early. */
export function unlockRoutes(policy: BruteForcePolicy) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.post<{ Params: { id: number } }>(
      '/admin/users/:id/unlock',
      {
        config: { auth: 'jwt', requires: 'users:write' },
        schema: {
          tags: ['admin: users'],
          security: [{ bearer: [] }],
          summary:
            'Unlock an account: clears its failure count and locks (for its username and e-mail, from every IP)',
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } },
          },
          response: responses({ 200: envelope() }, ['NOT_FOUND']),
        },
      },
      async (req, reply) => {
        const u = await req.tenantServices.users.store.byId(req.params.id);
        if (!u) fail('NOT_FOUND');
        // Counters are keyed by the login name as typed and folded: a user can be locked under either name.
        await policy.unlock([u.username_key, ...(u.email_key ? [u.email_key] : [])], req.tenant);
        req.tenantServices.audit.record({
          event: 'admin.user.unlock',
          outcome: 'success',
          userId: u.id,
          username: u.username,
          ...actorMeta(req),
        });
        return ok(req, reply, null);
      },
    );
  };
}
