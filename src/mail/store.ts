import type { Generated, Kysely } from 'kysely';
import type { Database, Dialect } from '../db/types.js';

/** A mail's state: `pending` (to send, retried), `sent`, `failed`, or `outbox` (no SMTP: kept to be read). */
export type MailStatus = 'pending' | 'sent' | 'failed' | 'outbox';

export interface MailQueueTable {
  seq: Generated<number>;
  id: string;
  to_addr: string;
  /** Lower-cased address: what the outbox's `to` filter compares. */
  to_key: string;
  template: string;
  locale: string;
  subject: string;
  /** Sealed JSON `{ text, html }` (decision 0011); null once sent or failed. */
  body: string | null;
  status: MailStatus;
  attempts: number;
  next_attempt_at: number;
  /** A node is sending the row until then; another may take it over after. */
  lease_until: number | null;
  /** The last failure, as its SMTP code and message: never the body. */
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

declare module '../db/types.js' {
  interface Database {
    mail_queue: MailQueueTable;
  }
}

export type NewMail = Pick<
  MailQueueTable,
  | 'id'
  | 'to_addr'
  | 'to_key'
  | 'template'
  | 'locale'
  | 'subject'
  | 'body'
  | 'status'
  | 'attempts'
  | 'next_attempt_at'
  | 'last_error'
  | 'created_at'
>;

/** One tenant's mail rows (through its scope, or the caller's transaction scoped to it). */
export async function insertMail(q: Kysely<Database>, row: NewMail): Promise<void> {
  await q.insertInto('mail_queue').values(row).execute();
}

export interface OutboxRow {
  id: string;
  to_addr: string;
  subject: string;
  body: string | null;
  created_at: number;
}

/** The tenant's outbox, newest first. */
export function listOutbox(
  q: Kysely<Database>,
  o: { toKey?: string | undefined; limit: number },
): Promise<OutboxRow[]> {
  return q
    .selectFrom('mail_queue')
    .select(['id', 'to_addr', 'subject', 'body', 'created_at'])
    .where('status', '=', 'outbox')
    .$if(o.toKey !== undefined, (b) => b.where('to_key', '=', o.toKey!))
    .orderBy('created_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(o.limit)
    .execute();
}

export interface ClaimedMail {
  id: string;
  to_addr: string;
  subject: string;
  body: string | null;
  attempts: number;
}

/**
 * The delivery side, over every tenant (`q` unscoped): mail ids are unique
 * across tenants and a row's tenant changes nothing about how it is sent.
 */
export function createQueueStore(q: Kysely<Database>, dialect: Dialect) {
  return {
    /**
     * Takes up to `limit` due rows for this node until `leaseUntil`, counting
     * the attempt. Safe across nodes: PostgreSQL skips rows another node's
     * claim has locked, and a claimed row is not due again before its lease
     * ends (a node that died mid-send leaves its rows to the others then).
     * SQLite is one node: the statement is atomic.
     */
    async claimDue(now: number, leaseUntil: number, limit: number): Promise<ClaimedMail[]> {
      return q
        .updateTable('mail_queue')
        .set((eb) => ({ lease_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('mail_queue')
            .select('id')
            .where('status', '=', 'pending')
            .where('next_attempt_at', '<=', now)
            .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<=', now)]))
            .orderBy('next_attempt_at')
            .limit(limit)
            .$if(dialect === 'postgres', (b) => b.forUpdate().skipLocked()),
        )
        .returning(['id', 'to_addr', 'subject', 'body', 'attempts'])
        .execute();
    },
    /** Delivered: the body (and its token) is dropped at once. */
    async sent(id: string, lease: number, now: number): Promise<void> {
      await q
        .updateTable('mail_queue')
        .set({ status: 'sent', body: null, sent_at: now, lease_until: null, last_error: null })
        .where('id', '=', id)
        .where('lease_until', '=', lease)
        .execute();
    },
    async retry(id: string, lease: number, at: number, error: string): Promise<void> {
      await q
        .updateTable('mail_queue')
        .set({ next_attempt_at: at, lease_until: null, last_error: error })
        .where('id', '=', id)
        .where('lease_until', '=', lease)
        .execute();
    },
    async failed(id: string, lease: number, error: string): Promise<void> {
      await q
        .updateTable('mail_queue')
        .set({ status: 'failed', body: null, lease_until: null, last_error: error })
        .where('id', '=', id)
        .where('lease_until', '=', lease)
        .execute();
    },
    /** Rows waiting: pending ones and the outbox (what the queue cap bounds). */
    async held(): Promise<{ pending: number; outbox: number }> {
      const rows = await q
        .selectFrom('mail_queue')
        .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('status', 'in', ['pending', 'outbox'])
        .groupBy('status')
        .execute();
      const n = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
      return { pending: n('pending'), outbox: n('outbox') };
    },
    /** Deletes finished and outbox rows queued before `before`; returns how many. */
    async purge(before: number): Promise<number> {
      const r = await q
        .deleteFrom('mail_queue')
        .where('status', 'in', ['sent', 'failed', 'outbox'])
        .where('created_at', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type QueueStore = ReturnType<typeof createQueueStore>;
