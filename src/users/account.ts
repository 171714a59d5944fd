import type { Kysely } from 'kysely';
import type { Audit } from '../audit/audit.js';
import { inUnit, type Unit } from '../db/unit.js';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import { fail } from '../lib/errors.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { RoleService } from '../roles/service.js';
import type { RevocationList } from '../sessions/revocation.js';
import type { EndMeta, SessionService } from '../sessions/service.js';
import { checkEmail, checkPhone } from './identity.js';
import type { UserService } from './service.js';
import type { NewUser, UserRow } from './store.js';

export interface AccountDeps {
  db: Kysely<Database>;
  users: UserService;
  sessions: SessionService;
  revocations: RevocationList;
  roles: RoleService;
  hasher: PasswordHasher;
  audit: Audit;
  clock: Clock;
  /** How long an access token issued now can be accepted (TTL + skew), ms. */
  tokenLifeMs: () => number;
  onEffectError?: (e: unknown) => void;
}

/** What an administrator may change on a user (PATCH /admin/users/:id). */
export interface UserPatch {
  display_name?: string | null;
  email?: string | null;
  phoneNumber?: string | null;
  user_type?: string;
  status?: 'active' | 'disabled';
  password?: string;
}

/** Who acts: the administrator (or the user) and the request's origin, for audit rows. */
export type Actor = EndMeta;

const isUnique = (e: unknown) =>
  /unique|23505/i.test(String((e as { code?: string }).code ?? (e as Error).message));

/**
 * The rules of changing an account, owned here rather than in route
 * handlers: what each change does to the user's sessions and tokens, and its
 * audit row, each in one transaction (docs/decisions/0007).
 *  - disabling or deleting a user ends its sessions;
 *  - a new password ends its sessions (self-service change and reset: src/credentials/);
 *  - a change of roles or user type refuses access tokens issued before it
 *    (their claims are stale), so clients refresh; sessions stay.
 */
/** The audit row of an administrator's change to a user (`admin.<event>`), in the change's unit. */
export function writeAdminAudit(
  audit: Audit,
  u: Unit,
  actor: Actor,
  event: string,
  userId: number | null,
  data?: Record<string, unknown>,
) {
  return audit.write(u, {
    event: `admin.${event}`,
    outcome: 'success',
    userId,
    ...actor,
    data: data ?? null,
  });
}

export function createAccountService(d: AccountDeps) {
  const { users, clock } = d;
  const store = users.store;
  const unit = <T>(fn: (u: Unit) => Promise<T>) => inUnit(d.db, fn, undefined, d.onEffectError);
  const audit = (
    u: Unit,
    actor: Actor,
    event: string,
    userId: number,
    data?: Record<string, unknown>,
  ) => writeAdminAudit(d.audit, u, actor, event, userId, data);

  async function found(id: number): Promise<UserRow> {
    const u = await store.byId(id);
    if (!u) fail('NOT_FOUND');
    return u;
  }

  /** Refuses the user's access tokens issued up to now (TOKEN_REVOKED); its sessions stay alive. */
  async function revokeTokens(userId: number, u?: Unit): Promise<void> {
    const notBefore = d.revocations.nextUserCutoff(String(userId));
    await d.revocations.revoke(
      { kind: 'user', value: String(userId), notBefore, expiresAt: notBefore + d.tokenLifeMs() },
      u,
    );
  }

  function patchOf(b: UserPatch): Partial<NewUser> {
    const patch: Partial<NewUser> = { updated_at: clock.now() };
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
    return patch;
  }

  return {
    found,
    revokeTokens,

    /** Administrator's update; returns the user as it is now. */
    async update(id: number, b: UserPatch, actor: Actor): Promise<UserRow> {
      const user = await found(id);
      const patch = patchOf(b);
      // A new address is not proven yet (src/credentials/ sends the verification mail).
      if (patch.email_key !== undefined && patch.email_key !== user.email_key)
        patch.email_verified_at = null;
      const hash =
        b.password !== undefined ? await users.newPasswordHash(user, b.password) : undefined;
      const changedIdentity = b.user_type !== undefined && b.user_type !== user.user_type;
      try {
        await unit(async (u) => {
          await store.update(id, patch, u.tx);
          if (hash !== undefined) await store.setPasswordHash(id, hash, clock.now(), true, u.tx);
          if (b.status === 'disabled') await d.sessions.endAll(id, 'USER_DISABLED', actor, u);
          else if (hash !== undefined) await d.sessions.endAll(id, 'PASSWORD_CHANGED', actor, u);
          else if (changedIdentity) await revokeTokens(id, u);
          await audit(u, actor, 'user.update', id, { fields: Object.keys(b) });
        });
      } catch (e) {
        if (isUnique(e)) fail('USER_EXISTS');
        throw e;
      }
      return (await store.byId(id))!;
    },

    /** Deletes a user after ending its sessions; nobody deletes themselves. */
    async remove(id: number, actor: Actor): Promise<void> {
      const user = await found(id);
      if (user.id === actor.actorId) fail('CONFLICT', { detail: 'you cannot delete yourself' });
      await unit(async (u) => {
        await d.sessions.endAll(id, 'USER_DISABLED', actor, u);
        await store.delete(id, u.tx);
        await audit(u, actor, 'user.delete', id, { username: user.username });
      });
    },

    /** Replaces a user's roles; its access tokens must be refreshed to carry them. */
    async setRoles(id: number, roles: string[], actor: Actor): Promise<UserRow> {
      const user = await found(id);
      for (const r of roles)
        if (!d.roles.get(r)) fail('VALIDATION_FAILED', { detail: `unknown role ${r}` });
      await unit(async (u) => {
        await store.setRoles(id, roles, u.tx);
        await revokeTokens(id, u);
        await audit(u, actor, 'user.roles', id, { roles });
      });
      return user;
    },

    /** Seed 003 forced logout: ends every session of the user; returns how many. */
    async forceLogout(id: number, actor: Actor): Promise<number> {
      await found(id);
      return unit(async (u) => {
        const n = await d.sessions.endAll(id, 'FORCE_LOGOUT', actor, u);
        await audit(u, actor, 'user.force_logout', id, { ended: n });
        return n;
      });
    },

    /**
     * Deletes a role. Its assignments go with it (cascade), but live tokens
     * still name it: they are refused, or a role re-created under the same
     * name would empower them again.
     */
    async deleteRole(name: string, actor: Actor): Promise<void> {
      if (name === 'admin' || name === 'user')
        fail('CONFLICT', { detail: 'built-in roles cannot be deleted' });
      const holders = await d.roles.holders(name);
      if (!(await d.roles.remove(name))) fail('NOT_FOUND');
      await unit(async (u) => {
        for (const h of holders) await revokeTokens(h, u);
        await d.audit.write(u, {
          event: 'admin.role.delete',
          outcome: 'success',
          ...actor,
          data: { name },
        });
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
