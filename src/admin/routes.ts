import type { FastifyInstance, FastifyRequest } from 'fastify';
import { int } from '../contract/numbers.js';
import { inUnit } from '../db/unit.js';
import { envelope, ok, responses } from '../http/envelope.js';
import { actorMeta } from '../http/request-meta.js';
import { fail } from '../lib/errors.js';
import { PERMISSIONS } from '../roles/catalog.js';
import type { Runtime } from '../runtime.js';
import { sessionIdParams } from '../sessions/schemas.js';
import { DYNAMIC_KEYS, validateSetting, type DynamicKey } from '../settings/service.js';
import { formatLoginPolicy } from '../settings/policy.js';
import { nameParams, REFUSE_UNKNOWN, roleBody, roleView } from './schemas.js';
import { adminUserRoutes } from './users-routes.js';

const security = [{ bearer: [] }];
const E = ['401', '403', '404', '409'] as const;

const settingsSchema = {
  type: 'object',
  properties: Object.fromEntries(
    DYNAMIC_KEYS.map((k) => [k, { type: ['integer', 'boolean', 'string'] }]),
  ),
} as const;

/** Everything under `<context-path>/admin`, each route permission-checked. */
export function adminRoutes(rt: Runtime) {
  const audit = (req: FastifyRequest, event: string, data: Record<string, unknown>) =>
    rt.audit.record({ event: `admin.${event}`, outcome: 'success', ...actorMeta(req), data });

  return async function routes(app: FastifyInstance): Promise<void> {
    await app.register(adminUserRoutes(rt));

    app.delete<{ Params: { id: string } }>(
      '/sessions/:id',
      {
        config: { auth: 'jwt', requires: 'sessions:write' },
        schema: {
          tags: ['admin: users'],
          security,
          summary: 'Force logout of one session',
          params: sessionIdParams,
          response: responses({ 200: envelope() }, E),
        },
      },
      async (req, reply) => {
        const s = await rt.sessions.get(req.params.id);
        if (!s || s.ended_at !== null) fail('NOT_FOUND');
        await inUnit(rt.db.kysely, async (u) => {
          await rt.sessions.end(s.id, 'FORCE_LOGOUT', actorMeta(req), u);
          await rt.audit.write(u, {
            event: 'admin.session.force_logout',
            outcome: 'success',
            ...actorMeta(req),
            data: { session_id: s.id, user_id: s.user_id },
          });
        });
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
          summary: 'Refuse one access token by its jti (seed 003 denylist)',
          body: {
            type: 'object',
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
          response: responses({ 200: envelope() }, E),
        },
      },
      async (req, reply) => {
        const horizon = rt.clock.now() + rt.tokenLifeMs();
        const expiresAt = req.body.exp
          ? Math.min(req.body.exp * 1000 + rt.config.clockSkew * 1000, horizon)
          : horizon;
        await inUnit(rt.db.kysely, async (u) => {
          await rt.revocations.revoke({ kind: 'jti', value: req.body.jti, expiresAt }, u);
          await rt.audit.write(u, {
            event: 'admin.token.deny',
            outcome: 'success',
            ...actorMeta(req),
            data: { jti: req.body.jti },
          });
        });
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
          response: responses({ 200: envelope({ type: 'array', items: roleView }) }, E),
        },
      },
      async (req, reply) => ok(req, reply, rt.roles.list()),
    );

    app.get(
      '/permissions',
      {
        config: { auth: 'jwt', requires: 'roles:read' },
        schema: {
          tags: ['admin: roles'],
          security,
          summary: 'Permissions routes can require',
          response: responses({ 200: envelope({ type: 'array', items: { type: 'string' } }) }, E),
        },
      },
      async (req, reply) => ok(req, reply, [...PERMISSIONS]),
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
          response: responses({ 200: envelope(roleView) }, E),
        },
      },
      async (req, reply) => {
        const role = {
          name: req.params.name,
          level: req.body.level,
          description: req.body.description ?? '',
          permissions: req.body.permissions,
        };
        if (role.name === 'admin' && !PERMISSIONS.every((p) => role.permissions.includes(p)))
          fail('CONFLICT', { detail: 'the admin role keeps every permission' });
        await rt.roles.save(role);
        audit(req, 'role.save', role);
        return ok(req, reply, rt.roles.get(role.name));
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
          response: responses({ 200: envelope() }, E),
        },
      },
      async (req, reply) => {
        await rt.accounts.deleteRole(req.params.name, actorMeta(req));
        return ok(req, reply, null);
      },
    );

    const view = () => {
      const { loginPolicyMap, ...rest } = rt.settings.get();
      return { ...rest, loginPolicy: formatLoginPolicy(loginPolicyMap) };
    };

    app.get(
      '/settings',
      {
        config: { auth: 'jwt', requires: 'settings:read' },
        schema: {
          tags: ['admin: settings'],
          security,
          summary: 'Settings in force (start values with run-time overrides)',
          response: responses({ 200: envelope(settingsSchema) }, E),
        },
      },
      async (req, reply) => ok(req, reply, view()),
    );

    app.patch<{ Body: Record<string, unknown> }>(
      '/settings',
      {
        config: { auth: 'jwt', requires: 'settings:write' },
        schema: {
          tags: ['admin: settings'],
          security,
          summary:
            'Change settings at run time; every node applies them within a second. null restores the start value.',
          body: {
            type: 'object',
            minProperties: 1,
            additionalProperties: REFUSE_UNKNOWN,
            properties: Object.fromEntries(
              DYNAMIC_KEYS.map((k) => [k, { type: ['integer', 'boolean', 'string', 'null'] }]),
            ),
          },
          response: responses({ 200: envelope(settingsSchema) }, E),
        },
      },
      async (req, reply) => {
        const patch: Partial<Record<DynamicKey, unknown>> = {};
        for (const [k, v] of Object.entries(req.body)) {
          if (v === null) {
            patch[k as DynamicKey] = null;
            continue;
          }
          const r = validateSetting(k as DynamicKey, v);
          if (!r.ok) fail('VALIDATION_FAILED', { detail: r.problem });
          patch[k as DynamicKey] = r.value;
        }
        await rt.settings.update(patch);
        audit(req, 'settings.update', { changes: req.body });
        return ok(req, reply, view());
      },
    );

    const keyView = {
      type: 'object',
      properties: {
        kid: { type: 'string' },
        alg: { type: 'string' },
        active: { type: 'boolean' },
        created_at: { type: 'integer' },
        expires_at: { type: ['integer', 'null'] },
      },
    } as const;
    const keys = () => {
      const activeKid = rt.keyring.active().kid;
      return rt.keyring.list().map((k) => ({
        kid: k.kid,
        alg: k.alg,
        active: k.kid === activeKid,
        created_at: k.createdAt,
        expires_at: k.expiresAt,
      }));
    };
    app.get(
      '/keys',
      {
        config: { auth: 'jwt', requires: 'keys:read' },
        schema: {
          tags: ['admin: keys'],
          security,
          summary: 'Signing keys',
          response: responses({ 200: envelope({ type: 'array', items: keyView }) }, E),
        },
      },
      async (req, reply) => ok(req, reply, keys()),
    );
    app.post(
      '/keys/rotate',
      {
        config: { auth: 'jwt', requires: 'keys:write' },
        schema: {
          tags: ['admin: keys'],
          security,
          summary: 'New signing key; the old one verifies until its last token expires',
          response: responses({ 200: envelope({ type: 'array', items: keyView }) }, E),
        },
      },
      async (req, reply) => {
        try {
          const kid = await rt.keyring.rotate();
          audit(req, 'keys.rotate', { kid });
        } catch (e) {
          fail('CONFLICT', { detail: (e as Error).message.slice(0, 200) });
        }
        return ok(req, reply, keys());
      },
    );
  };
}
