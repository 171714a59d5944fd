const DEFAULT = 'default';

/**
 * Who sees whose presence (issue 5, documented in docs/decisions/0005-presence.md):
 *  - a user with `presence:read` sees users of its own user type (every kefu
 *    sees the other kefu; an ordinary `user` sees other `user`s);
 *  - a user with `users:read` (administrators) sees every user type.
 * The same rule filters `GET /auth/online` and the `presence` frames on `/ws`.
 */
export interface Scope {
  /** The viewer's tenant (absent = default): nobody sees another tenant's users. */
  tenant?: string | undefined;
  /** Sees every user type. */
  all: boolean;
  /** Sees this user type (its own), or nothing if null. */
  type: string | null;
}

const ALL_TYPES_PERMISSION = 'users:read';
const OWN_TYPE_PERMISSION = 'presence:read';

export function scopeOf(
  permissions: ReadonlySet<string>,
  userType: string,
  tenant: string | undefined = DEFAULT,
): Scope & { tenant: string } {
  return {
    tenant,
    all: permissions.has(ALL_TYPES_PERMISSION),
    type: permissions.has(OWN_TYPE_PERMISSION) ? userType : null,
  };
}

export function canSee(s: Scope, userType: string, tenant?: string): boolean {
  return (s.tenant ?? DEFAULT) === (tenant ?? DEFAULT) && (s.all || s.type === userType);
}
