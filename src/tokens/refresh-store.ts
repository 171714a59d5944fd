import type { Kysely, Transaction } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Database, RefreshTokensTable } from '../db/types.js';

type Q = Kysely<Database> | Transaction<Database>;

export function createRefreshStore(db: Kysely<Database>) {
  // The statements of every refresh, compiled once (see db/prepared.ts).
  const insertRow = prepared(
    (
      token_hash: string,
      session_id: string,
      user_id: number,
      issued_at: number,
      expires_at: number,
      used_at: number | null,
      successor: string | null,
    ) =>
      db
        .insertInto('refresh_tokens')
        .values({ token_hash, session_id, user_id, issued_at, expires_at, used_at, successor }),
  );
  const byHash = prepared((hash: string) =>
    db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash),
  );
  const use = prepared((hash: string, at: number, successor: string | null) =>
    db
      .updateTable('refresh_tokens')
      .set({ used_at: at, successor })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null),
  );
  return {
    insert: (r: RefreshTokensTable, q: Q = db) =>
      insertRow.affected(
        q,
        r.token_hash,
        r.session_id,
        r.user_id,
        r.issued_at,
        r.expires_at,
        r.used_at,
        r.successor,
      ),
    get: (hash: string, q: Q = db) => byHash.first(q, hash),
    /**
     * Marks the token used if nobody did yet. The conditional UPDATE is the
     * atomic step: of two concurrent refreshes exactly one sees 1 row changed
     * (PostgreSQL re-checks the WHERE after the row lock; SQLite is serial).
     */
    async markUsed(
      hash: string,
      at: number,
      successor: string | null,
      q: Q = db,
    ): Promise<boolean> {
      return (await use.affected(q, hash, at, successor)) === 1;
    },
    deleteForSession: (sid: string, q: Q = db) =>
      q.deleteFrom('refresh_tokens').where('session_id', '=', sid).execute(),
    pruneExpired: (now: number) =>
      db.deleteFrom('refresh_tokens').where('expires_at', '<', now).execute(),
  };
}

export type RefreshStore = ReturnType<typeof createRefreshStore>;
