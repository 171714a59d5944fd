import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, UserIdentitiesTable } from '../db/types.js';
import type { IdentityRow } from './types.js';

type Q = Kysely<Database> | Transaction<Database>;

const rowOf = (r: Selectable<UserIdentitiesTable>): IdentityRow => ({
  id: r.id,
  user_id: Number(r.user_id),
  provider: r.provider,
  subject: r.subject,
  union_id: r.union_id,
  email: r.email,
  email_verified: Number(r.email_verified) === 1,
  display_name: r.display_name,
  created_at: Number(r.created_at),
  last_login_at: r.last_login_at === null ? null : Number(r.last_login_at),
});

/** SQL access to `user_identities` (through the tenant's scope). Both dialects. */
export function createIdentityStore(db: Kysely<Database>) {
  return {
    async find(provider: string, subject: string, q: Q = db): Promise<IdentityRow | undefined> {
      const r = await q
        .selectFrom('user_identities')
        .selectAll()
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return r && rowOf(r);
    },
    /** The oldest identity carrying this unionid (WeChat rows only ever have one). */
    async findByUnion(unionId: string, q: Q = db): Promise<IdentityRow | undefined> {
      const r = await q
        .selectFrom('user_identities')
        .selectAll()
        .where('union_id', '=', unionId)
        .orderBy('created_at')
        .orderBy('id')
        .executeTakeFirst();
      return r && rowOf(r);
    },
    async list(userId: number, q: Q = db): Promise<IdentityRow[]> {
      const rows = await q
        .selectFrom('user_identities')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(rowOf);
    },
    async insert(row: IdentityRow, q: Q = db): Promise<void> {
      await q
        .insertInto('user_identities')
        .values({ ...row, email_verified: row.email_verified ? 1 : 0 })
        .execute();
    },
    /** A login by this identity: its time, and a unionid WeChat sent for the first time. */
    async touch(id: string, at: number, unionId: string | null, q: Q = db): Promise<void> {
      await q
        .updateTable('user_identities')
        .set(unionId ? { last_login_at: at, union_id: unionId } : { last_login_at: at })
        .where('id', '=', id)
        .execute();
    },
    async delete(userId: number, provider: string, q: Q = db): Promise<number> {
      const r = await q
        .deleteFrom('user_identities')
        .where('user_id', '=', userId)
        .where('provider', '=', provider)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type IdentityStore = ReturnType<typeof createIdentityStore>;
