import { servesTenants } from '../contract/tenant-routes.js';
import { writeAdminAudit } from '../users/account.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Unit } from '../db/unit.js';
import { envelope, ok, responses } from '../contract/reply.js';
import { actorMeta } from '../contract/request-meta.js';
import { sessionView, viewSession } from '../sessions/schemas.js';
import type { UserPatch } from '../users/account.js';
import {
  createUserBody,
  idParams,
  listQuery,
  page,
  rolesBody,
  updateUserBody,
  userView,
  viewUser,
} from './schemas.js';

const tags = ['admin: users'];
const security = [{ bearer: [] }];

/** User administration (seed 000 "用户管理", seed 003 forced logout); the rules are in src/users/account.ts. */
export function adminUserRoutes() {
  const store = (req: FastifyRequest) => req.tenantServices.users.store;
  /** The admin action's audit row, in the action's own transaction. */
  const audit = (
    u: Unit,
    req: FastifyRequest,
    event: string,
    userId: number | null,
    data?: Record<string, unknown>,
  ) => writeAdminAudit(req.tenantServices.audit, u, actorMeta(req), event, userId, data);
  const found = (req: FastifyRequest, id: number) => req.tenantServices.accounts.found(id);

  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.get<{
      Querystring: {
        search?: string;
        user_type?: string;
        status?: string;
        page: number;
        page_size: number;
      };
    }>(
      '/users',
      {
        config: { auth: 'jwt', requires: 'users:read' },
        schema: {
          tags,
          security,
          summary: 'List and search users',
          querystring: listQuery,
          response: responses({ 200: envelope(page(userView)) }),
        },
      },
      async (req, reply) => {
        const q = req.query;
        const { total, rows } = await store(req).list({
          search: q.search,
          userType: q.user_type,
          status: q.status,
          limit: q.page_size,
          offset: (q.page - 1) * q.page_size,
        });
        const items = await Promise.all(
          rows.map(async (u) => viewUser(u, await store(req).roles(u.id))),
        );
        return ok(req, reply, { items, total, page: q.page, page_size: q.page_size });
      },
    );

    app.post<{
      Body: {
        username: string;
        email?: string;
        password: string;
        phoneNumber?: string;
        display_name?: string;
        user_type?: string;
        roles?: string[];
      };
    }>(
      '/users',
      {
        config: { auth: 'jwt', requires: 'users:write' },
        schema: {
          tags,
          security,
          summary: 'Create a user (any user type and roles)',
          body: createUserBody,
          response: responses({ 201: envelope(userView) }, ['USER_EXISTS', 'PASSWORD_WEAK']),
        },
      },
      async (req, reply) => {
        const b = req.body;
        const u = await req.tenantServices.users.create(
          {
            username: b.username,
            email: b.email,
            password: b.password,
            phoneNumber: b.phoneNumber,
            displayName: b.display_name,
            userType: b.user_type,
            roles: b.roles,
          },
          (tx, created) =>
            audit(tx, req, 'user.create', created.id, {
              username: created.username,
              user_type: created.user_type,
              roles: b.roles ?? ['user'],
            }),
        );
        return ok(req, reply, viewUser(u, await store(req).roles(u.id)), {
          status: 201,
          message: 'CREATED',
        });
      },
    );

    app.get<{ Params: { id: number } }>(
      '/users/:id',
      {
        config: { auth: 'jwt', requires: 'users:read' },
        schema: {
          tags,
          security,
          summary: 'One user',
          params: idParams,
          response: responses({ 200: envelope(userView) }, ['NOT_FOUND']),
        },
      },
      async (req, reply) => {
        const u = await found(req, req.params.id);
        return ok(req, reply, viewUser(u, await store(req).roles(u.id)));
      },
    );

    app.patch<{ Params: { id: number }; Body: UserPatch }>(
      '/users/:id',
      {
        config: { auth: 'jwt', requires: 'users:write' },
        schema: {
          tags,
          security,
          summary: 'Update a user; disabling ends its sessions',
          params: idParams,
          body: updateUserBody,
          response: responses({ 200: envelope(userView) }, [
            'NOT_FOUND',
            'USER_EXISTS',
            'PASSWORD_WEAK',
            'CONFLICT',
          ]),
        },
      },
      async (req, reply) => {
        const u = await req.tenantServices.accounts.update(req.params.id, req.body, actorMeta(req));
        return ok(req, reply, viewUser(u, await store(req).roles(u.id)));
      },
    );

    app.delete<{ Params: { id: number } }>(
      '/users/:id',
      {
        config: { auth: 'jwt', requires: 'users:write' },
        schema: {
          tags,
          security,
          summary: 'Delete a user; its sessions end first',
          params: idParams,
          response: responses({ 200: envelope() }, ['NOT_FOUND', 'CONFLICT']),
        },
      },
      async (req, reply) => {
        await req.tenantServices.accounts.remove(req.params.id, actorMeta(req));
        return ok(req, reply, null);
      },
    );

    app.put<{ Params: { id: number }; Body: { roles: string[] } }>(
      '/users/:id/roles',
      {
        config: { auth: 'jwt', requires: ['users:write', 'roles:write'] },
        schema: {
          tags,
          security,
          summary: "Replace a user's roles; its access tokens must be refreshed",
          params: idParams,
          body: rolesBody,
          response: responses({ 200: envelope(userView) }, ['NOT_FOUND']),
        },
      },
      async (req, reply) => {
        const u = await req.tenantServices.accounts.setRoles(
          req.params.id,
          req.body.roles,
          actorMeta(req),
        );
        return ok(req, reply, viewUser(u, await store(req).roles(u.id)));
      },
    );

    app.get<{ Params: { id: number } }>(
      '/users/:id/sessions',
      {
        config: { auth: 'jwt', requires: 'sessions:read' },
        schema: {
          tags,
          security,
          summary: "A user's live sessions",
          params: idParams,
          response: responses({ 200: envelope({ type: 'array', items: sessionView }) }),
        },
      },
      async (req, reply) => {
        await found(req, req.params.id);
        return ok(
          req,
          reply,
          (await req.tenantServices.sessions.list(req.params.id)).map((s) => viewSession(s)),
        );
      },
    );

    app.post<{ Params: { id: number } }>(
      '/users/:id/logout',
      {
        config: { auth: 'jwt', requires: 'sessions:write' },
        schema: {
          tags,
          security,
          summary: 'Force logout: end every session of the user',
          params: idParams,
          response: responses({
            200: envelope({ type: 'object', properties: { ended: { type: 'integer' } } }),
          }),
        },
      },
      async (req, reply) => {
        return ok(req, reply, {
          ended: await req.tenantServices.accounts.forceLogout(req.params.id, actorMeta(req)),
        });
      },
    );
  };
}
