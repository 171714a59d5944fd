import type { Kysely, Transaction } from 'kysely';
import type { Database, RefreshTokensTable } from '../db/types.js';

type Q = Kysely<Database> | Transaction<Database>;

export function createRefreshStore(db: Kysely<Database>) {
  return {
    insert: (row: RefreshTokensTable, q: Q = db) => q.insertInto('refresh_tokens').values(row).execute(),
    get: (hash: string, q: Q = db) => q.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst(),
    /**
     * Marks the token used if nobody did yet. The conditional UPDATE is the
     * atomic step: of two concurrent refreshes exactly one sees 1 row changed
     * (PostgreSQL re-checks the WHERE after the row lock; SQLite is serial).
     */
    async markUsed(hash: string, at: number, successor: string | null, q: Q = db): Promise<boolean> {
      const r = await q.updateTable('refresh_tokens').set({ used_at: at, successor }).where('token_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    deleteForSession: (sid: string, q: Q = db) => q.deleteFrom('refresh_tokens').where('session_id', '=', sid).execute(),
    pruneExpired: (now: number) => db.deleteFrom('refresh_tokens').where('expires_at', '<', now).execute(),
  };
}

export type RefreshStore = ReturnType<typeof createRefreshStore>;
