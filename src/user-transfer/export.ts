import { asTenantId, type TenantId } from '../db/scope.js';
import { hasUsablePassword } from '../users/service.js';
import type { UserRow } from '../users/store.js';
import type { TransferDeps } from './import.js';
import { csvRow, ImportFileError, type Format } from './read.js';
import { EXPORT_COLUMNS } from './rows.js';

const PAGE = 1000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One user as an export writes it (EXPORT_COLUMNS); `tessera users import` reads it back. */
function record(u: UserRow, roles: string[], tenant: TenantId) {
  return {
    username: u.username,
    email: u.email,
    phone: u.phone_number,
    display_name: u.display_name,
    user_type: u.user_type,
    roles,
    tenant,
    // No password (an account of an external identity): nothing to carry.
    password_hash: hasUsablePassword(u) ? u.password_hash : null,
    disabled: u.status === 'disabled',
    email_verified_at: iso(u.email_verified_at),
    locale: u.locale,
    created_at: iso(u.created_at),
  } satisfies Record<(typeof EXPORT_COLUMNS)[number], unknown>;
}

/**
 * `tessera users export`: every user of the tenants asked for, a page of
 * 1,000 at a time (by id), with their roles, type, tenant, state and password
 * hash: a backup, or a move to another Tessera. Left out: second-factor
 * secrets and recovery codes (sealed, decision 0011), external identities,
 * sessions. `write` receives the text in order (and may wait: backpressure).
 */
export async function exportUsers(
  d: Pick<TransferDeps, 'sql' | 'tenants'>,
  o: { tenant?: string | undefined; format: Format; write: (s: string) => Promise<void> },
): Promise<{ users: number; tenants: number }> {
  let tenants: TenantId[];
  if (o.tenant === undefined) tenants = d.tenants.list().map((t) => t.id);
  else {
    const t = asTenantId(o.tenant) && d.tenants.get(o.tenant);
    if (!t) throw new ImportFileError(`--tenant ${o.tenant}: no such tenant`);
    tenants = [t.id];
  }
  let n = 0;
  if (o.format === 'csv') await o.write(csvRow(EXPORT_COLUMNS));
  else await o.write('[');
  for (const t of tenants) {
    const q = d.sql.scope(t);
    for (let after = 0; ;) {
      const users = await q
        .selectFrom('users')
        .selectAll()
        .where('id', '>', after)
        .orderBy('id')
        .limit(PAGE)
        .execute();
      if (!users.length) break;
      after = users.at(-1)!.id;
      const roles = new Map<number, string[]>();
      for (const r of await q
        .selectFrom('user_roles')
        .select(['user_id', 'role'])
        .where(
          'user_id',
          'in',
          users.map((u) => u.id),
        )
        .orderBy('role')
        .execute())
        roles.set(r.user_id, [...(roles.get(r.user_id) ?? []), r.role]);
      let text = '';
      for (const u of users) {
        const rec = record(u as UserRow, roles.get(u.id) ?? [], t);
        if (o.format === 'json') text += `${n ? ',' : ''}\n${JSON.stringify(rec)}`;
        else
          text += csvRow(
            EXPORT_COLUMNS.map((c) => {
              const v = rec[c];
              return Array.isArray(v) ? v.join('|') : v === null ? '' : String(v);
            }),
          );
        n++;
      }
      await o.write(text);
    }
  }
  if (o.format === 'json') await o.write('\n]\n');
  return { users: n, tenants: tenants.length };
}
