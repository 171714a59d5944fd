import { sql, type Kysely } from 'kysely';
import type { TenantId } from '../db/scope.js';
import type { Database, Dialect } from '../db/types.js';

/** Dependents before what they depend on (refresh tokens before sessions, grants before roles). */
const ORDER = [
  'refresh_tokens',
  'known_devices',
  'mfa_tickets',
  'mfa_recovery_codes',
  'mfa_totp',
  'credential_tokens',
  'user_identities',
  'oauth_states',
  'oauth_codes',
  'oauth_providers',
  'wechat_apps',
  'sessions',
  'user_roles',
  'users',
  'role_permissions',
  'roles',
  'settings',
  'signing_keys',
  'revocations',
  'audit_events',
] as const;

/**
 * Deletes every row of a tenant, table by table, `batch` rows per
 * statement, yielding to the event loop between statements: a tenant with
 * a million audit rows never holds a lock or the loop for long. Idempotent:
 * a purge cut short is finished by the next one. Returns the rows removed.
 *
 * Raw SQL on purpose (reviewed): the scope would delete a whole table's
 * share in one statement; batching needs the engine's row address.
 */
export async function purgeTenant(
  db: Kysely<Database>,
  dialect: Dialect,
  tenant: TenantId,
  batch = 1000,
): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  const row = sql.raw(dialect === 'postgres' ? 'ctid' : 'rowid');
  for (const t of ORDER) {
    removed[t] = 0;
    for (;;) {
      const r = await sql`delete from ${sql.table(t)} where ${row} in (
          select ${row} from ${sql.table(t)} where tenant_id = ${tenant} limit ${batch})`.execute(
        db,
      );
      const n = Number(r.numAffectedRows ?? 0n);
      removed[t] += n;
      if (n < batch) break;
      await new Promise((r) => setImmediate(r));
    }
  }
  return removed;
}
