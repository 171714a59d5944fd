import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import {
  heartbeatSchema,
  onlineQuery,
  onlineSchema,
  userViewSchema,
  type PresenceQueries,
} from './views.js';

const tags = ['customer-service realtime API'];
const security = [{ bearer: [] }];

export const validateSchema = {
  type: 'object',
  required: ['valid', 'user', 'claims', 'expires_at'],
  properties: {
    valid: { type: 'boolean' },
    user: userViewSchema,
    claims: { type: 'object', additionalProperties: true },
    expires_at: { type: 'integer' },
  },
} as const;

/** `/api/auth/validate`, `/api/auth/heartbeat`, `/api/auth/online` (API.md "Realtime presence"). */
export function presenceRoutes(q: PresenceQueries) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.get(
      '/auth/validate',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'The verified claims of the token and its user',
          response: responses({ 200: envelope(validateSchema) }, ['SESSION_ENDED']),
        },
      },
      async (req, reply) => ok(req, reply, await q.validate(req.tenantServices, req.auth!)),
    );

    app.post(
      '/auth/heartbeat',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Marks the session active and keeps the caller online for one presence timeout',
          response: responses({ 200: envelope(heartbeatSchema) }),
        },
      },
      async (req, reply) => ok(req, reply, q.heartbeat(req.auth!)),
    );

    app.get<{ Querystring: { user_type?: string } }>(
      '/auth/online',
      {
        config: { auth: 'jwt', requires: 'presence:read' },
        schema: {
          tags,
          security,
          summary: 'Users online now (own user type; every type for administrators)',
          querystring: onlineQuery,
          response: responses({ 200: envelope(onlineSchema) }, ['FORBIDDEN', 'UNAVAILABLE']),
        },
      },
      async (req, reply) =>
        ok(req, reply, await q.online(req.tenantServices, req.auth!, req.query.user_type)),
    );
  };
}
