import type { RoleService } from '../roles/service.js';
import type { UserService } from '../users/service.js';
import { fail } from '../lib/errors.js';
import type { AccessClaims } from '../tokens/claims.js';
import type { UserRow } from '../users/store.js';
import type { PresenceService } from './service.js';
import type { OnlineUser } from './types.js';
import { canSee, scopeOf } from './visibility.js';

/** The user as seed 000 shows it (`data.user` of its login answer). Ids are strings, like `sub`. */
export function userView(
  u: Pick<UserRow, 'id' | 'username' | 'user_type' | 'display_name' | 'email'>,
) {
  return {
    id: String(u.id),
    username: u.username,
    user_type: u.user_type,
    display_name: u.display_name ?? u.username,
    email: u.email ?? null,
  };
}

export const userViewSchema = {
  type: 'object',
  required: ['id', 'username', 'user_type', 'display_name', 'email'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    user_type: { type: 'string' },
    display_name: { type: 'string' },
    email: { type: ['string', 'null'] },
  },
} as const;

const onlineUserSchema = {
  type: 'object',
  required: ['user_id', 'username', 'user_type', 'since'],
  properties: {
    user_id: { type: 'string' },
    username: { type: 'string' },
    user_type: { type: 'string' },
    since: { type: 'integer', description: 'ms since the epoch' },
  },
} as const;

export const onlineSchema = {
  type: 'object',
  required: ['users', 'total'],
  properties: { users: { type: 'array', items: onlineUserSchema }, total: { type: 'integer' } },
} as const;

export const heartbeatSchema = {
  type: 'object',
  required: ['status', 'at', 'timeout_seconds'],
  properties: {
    status: { type: 'string', enum: ['online'] },
    at: { type: 'integer' },
    timeout_seconds: { type: 'integer' },
  },
} as const;

export const onlineQuery = {
  type: 'object',
  properties: { user_type: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' } },
} as const;

/**
 * Shared by `/api/auth/*` and seed 000's `/auth/*`: one implementation of
 * validate, heartbeat and the online list, so both surfaces behave the same.
 */
export function presenceQueries(presence: PresenceService) {
  type Svc = { roles: RoleService; users: UserService };
  return {
    /** The verified claims and the current user row (gone or disabled ⇒ SESSION_ENDED). */
    async validate(d: Svc, claims: AccessClaims) {
      const user = await d.users.byId(Number(claims.sub));
      if (!user || user.status !== 'active') fail('SESSION_ENDED');
      return { valid: true, user: userView(user), claims, expires_at: claims.exp * 1000 };
    },

    heartbeat(claims: AccessClaims) {
      return presence.heartbeat(
        { id: claims.sub, type: claims.user_type, name: claims.username, tenant: claims.tid },
        claims.sid,
      );
    },

    /**
     * Who is online now, filtered by the visibility rule. Without `user_type`:
     * every type the caller may see. Asking for a type it may not see ⇒ FORBIDDEN.
     */
    async online(
      d: Svc,
      claims: AccessClaims,
      userType?: string,
    ): Promise<{ users: OnlineUser[]; total: number }> {
      const scope = scopeOf(
        d.roles.permissionsOf(claims.roles ?? []),
        claims.user_type,
        claims.tid,
      );
      if (userType !== undefined && !canSee(scope, userType, scope.tenant)) fail('FORBIDDEN');
      const users = (await presence.list())
        .filter((u) =>
          userType === undefined
            ? canSee(scope, u.user_type, u.tenant)
            : u.user_type === userType && canSee(scope, u.user_type, u.tenant),
        )
        .map(({ tenant: _t, ...u }) => u)
        .sort((a, b) => a.since - b.since || a.user_id.localeCompare(b.user_id));
      return { users, total: users.length };
    },
  };
}

export type PresenceQueries = ReturnType<typeof presenceQueries>;
