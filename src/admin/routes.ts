import { servesTenants } from '../contract/tenant-routes.js';
import type { AccountService } from '../users/account.js';
import type { Audit } from '../audit/audit.js';
import type { Keyring } from '../keys/keyring.js';
import type { RoleService } from '../roles/service.js';
import type { SessionActions } from '../sessions/actions.js';
import type { SessionService } from '../sessions/service.js';
import type { SettingsService } from '../settings/service.js';
import type { UserService } from '../users/service.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { int } from '../contract/numbers.js';
import { envelope, ok, responses } from '../contract/reply.js';
import { actorMeta } from '../contract/request-meta.js';
import { fail } from '../lib/errors.js';
import { sessionIdParams } from '../sessions/schemas.js';
import { nameParams, roleBody, roleView } from './schemas.js';
import { adminSettingsRoutes } from './settings-routes.js';
import { adminUserRoutes } from './users-routes.js';

const security = [{ bearer: [] }];

/** Everything under `<context-path>/admin`, each route permission-checked. */
export function adminRoutes(d: {
  accounts: AccountService;
  audit: Audit;
  keyring: Keyring;
  roles: RoleService;
  settings: SettingsService;
  sessionActions: SessionActions;
  sessions: SessionService;
  users: UserService;
}) {
  const audit = (req: FastifyRequest, event: string, data: Record<string, unknown>) =>
    req.tenantServices.audit.record({
      event: `admin.${event}`,
      outcome: 'success',
      ...actorMeta(req),
      data,
    });

  const permissions = d.roles.catalogue();

  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    await app.register(adminUserRoutes());

    app.delete<{ Params: { id: string } }>(
      '/sessions/:id',
      {
        config: { auth: 'jwt', requires: 'sessions:write' },
        schema: {
          tags: ['admin: users'],
          security,
          summary: 'Force logout of one session',
          params: sessionIdParams,
          response: responses({ 200: envelope() }, ['NOT_FOUND']),
        },
      },
      async (req, reply) => {
        await req.tenantServices.sessionActions.forceLogout(req.params.id, actorMeta(req));
        return ok(req, reply, null);
      },
    );

    app.post<{ Body: { jti: string; exp?: number } }>(
      '/denylist',
      {
        config: { auth: 'jwt', requires: 'sessions:write' },
        schema: {
          tags: ['admin: users'],
          security,
          summary: 'Refuse one access token by its jti (a denylist entry)',
          body: {
            type: 'object',
            examples: [{ jti: '0b6e7c1e-8d0a-4c7e-9f3b-2a1d5e6f7a8b', exp: 1767225600 }],
            required: ['jti'],
            additionalProperties: false,
            properties: {
              jti: { type: 'string', minLength: 1, maxLength: 128 },
              exp: int(0, 2 ** 40, {
                description:
                  "The token's exp (seconds); default: the longest an access token lives.",
              }),
            },
          },
          response: responses({ 200: envelope() }),
        },
      },
      async (req, reply) => {
        await req.tenantServices.sessionActions.deny(req.body.jti, req.body.exp, actorMeta(req));
        return ok(req, reply, null);
      },
    );

    app.get(
      '/roles',
      {
        config: { auth: 'jwt', requires: 'roles:read' },
        schema: {
          tags: ['admin: roles'],
          security,
          summary: 'Roles with their levels and permissions',
          response: responses({ 200: envelope({ type: 'array', items: roleView }) }),
        },
      },
      async (req, reply) => ok(req, reply, req.tenantServices.roles.list()),
    );

    app.get(
      '/permissions',
      {
        config: { auth: 'jwt', requires: 'roles:read' },
        schema: {
          tags: ['admin: roles'],
          security,
          summary: 'Permissions routes can require',
          response: responses({ 200: envelope({ type: 'array', items: { type: 'string' } }) }),
        },
      },
      async (req, reply) => ok(req, reply, [...permissions]),
    );

    app.put<{
      Params: { name: string };
      Body: { level: number; description?: string; permissions: string[] };
    }>(
      '/roles/:name',
      {
        config: { auth: 'jwt', requires: 'roles:write' },
        schema: {
          tags: ['admin: roles'],
          security,
          summary: 'Create or replace a role (takes effect on every node at once)',
          params: nameParams,
          body: roleBody,
          response: responses({ 200: envelope(roleView) }, ['CONFLICT']),
        },
      },
      async (req, reply) => {
        const role = {
          name: req.params.name,
          level: req.body.level,
          description: req.body.description ?? '',
          permissions: req.body.permissions,
        };
        if (role.name === 'admin' && !permissions.every((p) => role.permissions.includes(p)))
          fail('CONFLICT', { detail: 'the admin role keeps every permission' });
        await req.tenantServices.roles.save(role);
        audit(req, 'role.save', role);
        return ok(req, reply, req.tenantServices.roles.get(role.name));
      },
    );

    app.delete<{ Params: { name: string } }>(
      '/roles/:name',
      {
        config: { auth: 'jwt', requires: 'roles:write' },
        schema: {
          tags: ['admin: roles'],
          security,
          summary: 'Delete a role',
          params: nameParams,
          response: responses({ 200: envelope() }, ['NOT_FOUND', 'CONFLICT']),
        },
      },
      async (req, reply) => {
        await req.tenantServices.accounts.deleteRole(req.params.name, actorMeta(req));
        return ok(req, reply, null);
      },
    );
    await app.register(adminSettingsRoutes(d));
  };
}
