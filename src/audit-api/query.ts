import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, Database } from '../db/types.js';

export interface AuditFilter {
  userId?: number | undefined;
  ip?: string | undefined;
  /** Exact event, or a prefix ending in `.` or `*` (`admin.`, `login.*`). */
  event?: string | undefined;
  /** Inclusive lower bound, epoch ms. */
  from?: number | undefined;
  /** Exclusive upper bound, epoch ms. */
  to?: number | undefined;
  limit: number;
  offset: number;
}

/** An audit row as the API shows it: `data` parsed from its JSON text. */
export type AuditRow = Omit<Selectable<AuditEventsTable>, 'data'> & {
  data: Record<string, unknown> | null;
};

/** Reads of the audit log (newest first) and its retention delete. */
export function createAuditQuery(db: Kysely<Database>) {
  function filtered(f: Omit<AuditFilter, 'limit' | 'offset'>) {
    let q = db.selectFrom('audit_events');
    if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
    if (f.ip) q = q.where('ip', '=', f.ip);
    if (f.event) {
      const prefix = f.event.endsWith('*')
        ? f.event.slice(0, -1)
        : f.event.endsWith('.')
          ? f.event
          : undefined;
      // LIKE with the wildcards of the prefix escaped; event names are [a-z._] anyway.
      q =
        prefix !== undefined
          ? q.where('event', 'like', `${prefix.replace(/[\\%_]/g, '\\$&')}%`)
          : q.where('event', '=', f.event);
    }
    if (f.from !== undefined) q = q.where('at', '>=', f.from);
    if (f.to !== undefined) q = q.where('at', '<', f.to);
    return q;
  }

  return {
    async list(f: AuditFilter): Promise<{ total: number; rows: AuditRow[] }> {
      const { n } = await filtered(f)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const rows = await filtered(f)
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(f.limit)
        .offset(f.offset)
        .execute();
      return {
        total: Number(n),
        rows: rows.map((r) => ({
          ...r,
          id: Number(r.id),
          at: Number(r.at),
          data: parseData(r.data),
        })),
      };
    },
    /** Deletes rows older than `before`, at most `batch` at a time (short transactions); returns how many. */
    async prune(before: number, batch = 5000): Promise<number> {
      let total = 0;
      for (;;) {
        const ids = db
          .selectFrom('audit_events')
          .select('id')
          .where('at', '<', before)
          .limit(batch);
        const r = await db.deleteFrom('audit_events').where('id', 'in', ids).executeTakeFirst();
        const n = Number(r.numDeletedRows);
        total += n;
        if (n < batch) return total;
      }
    },
  };
}

function parseData(s: string | null): Record<string, unknown> | null {
  if (!s) return null;
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return null;
  }
}
