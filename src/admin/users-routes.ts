import type { FastifyInstance, FastifyRequest } from 'fastify';
import { inUnit, type Unit } from '../db/unit.js';
import { envelope, ok, responses } from '../http/envelope.js';
import { fail } from '../lib/errors.js';
import { actorMeta } from '../http/request-meta.js';
import type { Runtime } from '../runtime.js';
import { sessionView, viewSession } from '../sessions/schemas.js';
import { checkEmail, checkPhone } from '../users/identity.js';
import { createUserBody, idParams, listQuery, page, rolesBody, updateUserBody, userView, viewUser } from './schemas.js';

const tags = ['admin: users'];
const security = [{ bearer: [] }];
const E = ['401', '403', '404', '409'] as const;

type UpdateBody = { display_name?: string | null; email?: string | null; phoneNumber?: string | null; user_type?: string; status?: 'active' | 'disabled'; password?: string };

/** User administration (seed 000 "用户管理", seed 003 forced logout). */
export function adminUserRoutes(rt: Runtime) {
  const store = rt.users.store;
  /** The admin action's audit row, in the action's own transaction. */
  const audit = (u: Unit, req: FastifyRequest, event: string, userId: number | null, data?: Record<string, unknown>) =>
    rt.audit.write(u, { event: `admin.${event}`, outcome: 'success', userId, ...actorMeta(req), data: data ?? null });
  const unit = <T>(fn: (u: Unit) => Promise<T>) => inUnit(rt.db.kysely, fn);

  async function found(id: number) {
    const u = await store.byId(id);
    if (!u) fail('NOT_FOUND');
    return u;
  }

  return async function routes(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: { search?: string; user_type?: string; status?: string; page: number; page_size: number } }>(
      '/users',
      { config: { auth: 'jwt', requires: 'users:read' }, schema: { tags, security, summary: 'List and search users', querystring: listQuery, response: responses({ 200: envelope(page(userView)) }, E) } },
      async (req, reply) => {
        const q = req.query;
        const { total, rows } = await store.list({ search: q.search, userType: q.user_type, status: q.status, limit: q.page_size, offset: (q.page - 1) * q.page_size });
        const items = await Promise.all(rows.map(async (u) => viewUser(u, await store.roles(u.id))));
        return ok(req, reply, { items, total, page: q.page, page_size: q.page_size });
      },
    );

    app.post<{ Body: { username: string; email?: string; password: string; phoneNumber?: string; display_name?: string; user_type?: string; roles?: string[] } }>(
      '/users',
      { config: { auth: 'jwt', requires: 'users:write' }, schema: { tags, security, summary: 'Create a user (any user type and roles)', body: createUserBody, response: responses({ 201: envelope(userView) }, E) } },
      async (req, reply) => {
        const b = req.body;
        const u = await rt.users.create({ username: b.username, email: b.email, password: b.password, phoneNumber: b.phoneNumber, displayName: b.display_name, userType: b.user_type, roles: b.roles }, (tx, created) =>
          audit(tx, req, 'user.create', created.id, { username: created.username, user_type: created.user_type, roles: b.roles ?? ['user'] }),
        );
        return ok(req, reply, viewUser(u, await store.roles(u.id)), { status: 201, message: 'CREATED' });
      },
    );

    app.get<{ Params: { id: number } }>(
      '/users/:id',
      { config: { auth: 'jwt', requires: 'users:read' }, schema: { tags, security, summary: 'One user', params: idParams, response: responses({ 200: envelope(userView) }, E) } },
      async (req, reply) => {
        const u = await found(req.params.id);
        return ok(req, reply, viewUser(u, await store.roles(u.id)));
      },
    );

    app.patch<{ Params: { id: number }; Body: UpdateBody }>(
      '/users/:id',
      { config: { auth: 'jwt', requires: 'users:write' }, schema: { tags, security, summary: 'Update a user; disabling ends its sessions', params: idParams, body: updateUserBody, response: responses({ 200: envelope(userView) }, E) } },
      async (req, reply) => {
        const u = await found(req.params.id);
        const b = req.body;
        const patch: Parameters<typeof store.update>[1] = { updated_at: rt.clock.now() };
        if (b.display_name !== undefined) patch.display_name = b.display_name?.trim() || null;
        if (b.email !== undefined) {
          if (b.email === null) Object.assign(patch, { email: null, email_key: null });
          else {
            const e = checkEmail(b.email);
            if (!e.ok) fail('VALIDATION_FAILED', { detail: e.problem });
            Object.assign(patch, { email: e.display, email_key: e.key });
          }
        }
        if (b.phoneNumber !== undefined) {
          if (b.phoneNumber === null) patch.phone_number = null;
          else {
            const p = checkPhone(b.phoneNumber);
            if (!p.ok) fail('VALIDATION_FAILED', { detail: p.problem });
            patch.phone_number = p.display;
          }
        }
        if (b.user_type !== undefined) patch.user_type = b.user_type;
        if (b.status !== undefined) patch.status = b.status;
        const hash = b.password !== undefined ? await rt.users.newPasswordHash(u, b.password) : undefined;
        const changedIdentity = b.user_type !== undefined && b.user_type !== u.user_type;
        try {
          await unit(async (tx) => {
            await store.update(u.id, patch, tx.tx);
            if (hash !== undefined) await store.setPasswordHash(u.id, hash, rt.clock.now(), true, tx.tx);
            if (b.status === 'disabled') await rt.sessions.endAll(u.id, 'USER_DISABLED', actorMeta(req), tx);
            else if (hash !== undefined) await rt.sessions.endAll(u.id, 'PASSWORD_CHANGED', actorMeta(req), tx);
            else if (changedIdentity) await revokeUserTokens(rt, u.id, tx);
            await audit(tx, req, 'user.update', u.id, { fields: Object.keys(b).map((k) => (k === 'password' ? 'password' : k)) });
          });
        } catch (e) {
          if (/unique|23505/i.test(String((e as { code?: string }).code ?? (e as Error).message))) fail('USER_EXISTS');
          throw e;
        }
        return ok(req, reply, viewUser((await store.byId(u.id))!, await store.roles(u.id)));
      },
    );

    app.delete<{ Params: { id: number } }>(
      '/users/:id',
      { config: { auth: 'jwt', requires: 'users:write' }, schema: { tags, security, summary: 'Delete a user; its sessions end first', params: idParams, response: responses({ 200: envelope() }, E) } },
      async (req, reply) => {
        const u = await found(req.params.id);
        if (u.id === Number(req.auth!.sub)) fail('CONFLICT', { detail: 'you cannot delete yourself' });
        await unit(async (tx) => {
          await rt.sessions.endAll(u.id, 'USER_DISABLED', actorMeta(req), tx);
          await store.delete(u.id, tx.tx);
          await audit(tx, req, 'user.delete', u.id, { username: u.username });
        });
        return ok(req, reply, null);
      },
    );

    app.put<{ Params: { id: number }; Body: { roles: string[] } }>(
      '/users/:id/roles',
      { config: { auth: 'jwt', requires: ['users:write', 'roles:write'] }, schema: { tags, security, summary: "Replace a user's roles; its access tokens must be refreshed", params: idParams, body: rolesBody, response: responses({ 200: envelope(userView) }, E) } },
      async (req, reply) => {
        const u = await found(req.params.id);
        for (const r of req.body.roles) if (!rt.roles.get(r)) fail('VALIDATION_FAILED', { detail: `unknown role ${r}` });
        await unit(async (tx) => {
          await store.setRoles(u.id, req.body.roles, tx.tx);
          await revokeUserTokens(rt, u.id, tx);
          await audit(tx, req, 'user.roles', u.id, { roles: req.body.roles });
        });
        return ok(req, reply, viewUser(u, await store.roles(u.id)));
      },
    );

    app.get<{ Params: { id: number } }>(
      '/users/:id/sessions',
      { config: { auth: 'jwt', requires: 'sessions:read' }, schema: { tags, security, summary: "A user's live sessions", params: idParams, response: responses({ 200: envelope({ type: 'array', items: sessionView }) }, E) } },
      async (req, reply) => {
        await found(req.params.id);
        return ok(req, reply, (await rt.sessions.list(req.params.id)).map((s) => viewSession(s)));
      },
    );

    app.post<{ Params: { id: number } }>(
      '/users/:id/logout',
      { config: { auth: 'jwt', requires: 'sessions:write' }, schema: { tags, security, summary: 'Force logout: end every session of the user (seed 003)', params: idParams, response: responses({ 200: envelope({ type: 'object', properties: { ended: { type: 'integer' } } }) }, E) } },
      async (req, reply) => {
        await found(req.params.id);
        const ended = await unit(async (tx) => {
          const n = await rt.sessions.endAll(req.params.id, 'FORCE_LOGOUT', actorMeta(req), tx);
          await audit(tx, req, 'user.force_logout', req.params.id, { ended: n });
          return n;
        });
        return ok(req, reply, { ended });
      },
    );
  };
}

/**
 * Roles or user type changed: access tokens issued before now carry stale
 * claims. They are refused (TOKEN_REVOKED) so clients refresh and get new ones;
 * the sessions stay alive.
 */
export async function revokeUserTokens(rt: Runtime, userId: number, u?: Unit): Promise<void> {
  const notBefore = rt.revocations.nextUserCutoff(String(userId));
  await rt.revocations.revoke({ kind: 'user', value: String(userId), notBefore, expiresAt: notBefore + rt.tokenLifeMs() }, u);
}
