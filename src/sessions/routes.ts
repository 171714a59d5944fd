import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { fail } from '../lib/errors.js';
import { actorMeta } from '../contract/request-meta.js';
import { sessionIdParams, sessionView, viewSession } from './schemas.js';

const tags = ['sessions and devices'];
const security = [{ bearer: [] }];

/** The caller's own sessions (seed 003 device management) and password change. */
export function sessionRoutes() {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.get(
      '/sessions',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: "The caller's live sessions (devices)",
          response: responses({ 200: envelope({ type: 'array', items: sessionView }) }),
        },
      },
      async (req, reply) => {
        const me = req.auth!;
        const rows = await req.tenantServices.sessions.list(Number(me.sub));
        return ok(
          req,
          reply,
          rows.map((s) => viewSession(s, me.sid)),
        );
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/sessions/:id',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: "End one of the caller's sessions; its tokens stop working at once",
          params: sessionIdParams,
          response: responses({ 200: envelope() }, ['NOT_FOUND']),
        },
      },
      async (req, reply) => {
        const me = req.auth!;
        const s = await req.tenantServices.sessions.get(req.params.id);
        // Someone else's session id answers like an unknown one.
        if (!s || s.user_id !== Number(me.sub) || s.ended_at !== null) fail('NOT_FOUND');
        await req.tenantServices.sessions.end(s.id, 'LOGGED_OUT', actorMeta(req));
        return ok(req, reply, null);
      },
    );

    app.post(
      '/logout-all',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'End every session of the caller, this one included',
          response: responses({
            200: envelope({ type: 'object', properties: { ended: { type: 'integer' } } }),
          }),
        },
      },
      async (req, reply) => {
        const me = req.auth!;
        const ended = await req.tenantServices.sessionActions.logoutAll(
          Number(me.sub),
          me.sid,
          actorMeta(req),
        );
        return ok(req, reply, { ended }, { message: 'LOGOUT' });
      },
    );
  };
}
