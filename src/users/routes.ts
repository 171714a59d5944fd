import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { actorMeta } from '../contract/request-meta.js';

const tags = ['sessions and devices'];
const security = [{ bearer: [] }];

/** Self-service account routes under `<ctx>/auth`: the password change (its rules: src/users/account.ts). */
export function accountRoutes() {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.post<{ Body: { current_password: string; new_password: string } }>(
      '/password',
      {
        config: { auth: 'jwt', ipRateLimit: 'password-change' },
        schema: {
          tags,
          security,
          summary: 'Change the password; every other session ends',
          body: {
            type: 'object',
            required: ['current_password', 'new_password'],
            additionalProperties: false,
            properties: {
              current_password: { type: 'string', minLength: 1, maxLength: 1024 },
              new_password: { type: 'string', minLength: 1, maxLength: 1024 },
            },
          },
          response: responses({ 200: envelope() }, ['401']),
        },
      },
      async (req, reply) => {
        const me = req.auth!;
        await req.tenantServices.accounts.changePassword(
          Number(me.sub),
          me.sid,
          req.body.current_password,
          req.body.new_password,
          actorMeta(req),
        );
        return ok(req, reply, null);
      },
    );
  };
}
