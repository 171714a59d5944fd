import type { Kysely, Transaction } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Database, SessionsTable } from '../db/types.js';

type Q = Kysely<Database> | Transaction<Database>;
export type SessionRow = SessionsTable;

export function createSessionStore(db: Kysely<Database>) {
  const byId = prepared((id: string) => db.selectFrom('sessions').selectAll().where('id', '=', id));
  /** A user's sessions that are still usable: not ended, not past their absolute end, not idle. */
  const usable = (q: Q, userId: number, now: number, idleSince: number) =>
    q
      .selectFrom('sessions')
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', idleSince);
  const alive = (q: Q, userId: number, now: number, idleSince: number) =>
    usable(q, userId, now, idleSince).selectAll().orderBy('created_at').orderBy('id');
  return {
    insert: (row: SessionRow, q: Q = db) => q.insertInto('sessions').values(row).execute(),
    get: (id: string, q: Q = db) => byId.first(q, id),
    /** Sessions that are still usable, oldest first. */
    alive: (userId: number, now: number, idleSince: number, q: Q = db) =>
      alive(q, userId, now, idleSince).execute(),
    /** How many usable sessions the user holds (counted in SQL: a user may hold many). */
    async aliveCount(userId: number, now: number, idleSince: number, q: Q = db): Promise<number> {
      const r = await usable(q, userId, now, idleSince)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Sessions not ended and not past their absolute end, every user's (the live-sessions gauge). */
    async liveCount(now: number): Promise<number> {
      const r = await db
        .selectFrom('sessions')
        .where('ended_at', 'is', null)
        .where('expires_at', '>', now)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** The ids of the `limit` oldest usable sessions (all of them without a limit). */
    oldestAlive: (
      userId: number,
      now: number,
      idleSince: number,
      limit: number | undefined,
      q: Q = db,
    ) => {
      const sel = usable(q, userId, now, idleSince)
        .select(['id', 'user_id'])
        .orderBy('created_at')
        .orderBy('id');
      return (limit === undefined ? sel : sel.limit(limit)).execute();
    },
    /** Marks ended; returns true only for the caller that ended it (idempotent across nodes). */
    async end(id: string, at: number, reason: string, q: Q = db): Promise<boolean> {
      const r = await q
        .updateTable('sessions')
        .set({ ended_at: at, end_reason: reason })
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Last-seen writes, batched: only rows older than `olderThan` change (at most once per interval). */
    async touch(ids: string[], at: number, olderThan: number): Promise<number> {
      if (!ids.length) return 0;
      const r = await db
        .updateTable('sessions')
        .set({ last_seen_at: at })
        .where('id', 'in', ids)
        .where('last_seen_at', '<', olderThan)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    setLastSeen: (id: string, at: number, q: Q = db) =>
      q.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute(),
    /** Sessions past their absolute or idle end that nobody ended yet. */
    expiredOpen: (now: number, idleSince: number, limit: number) =>
      db
        .selectFrom('sessions')
        .select(['id', 'user_id', 'expires_at', 'last_seen_at'])
        .where('ended_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleSince)]))
        .limit(limit)
        .execute(),
    /** Rows ended long ago can go (their refresh tokens cascade). */
    pruneEnded: (before: number) =>
      db.deleteFrom('sessions').where('ended_at', '<', before).execute(),
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
