import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_TENANT, rescope, type TenantId } from '../db/scope.js';
import type { Unit } from '../db/unit.js';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import type { Audit, AuditEntry, RecordedEntry } from './audit.js';

const MAX_BUFFER = 10_000;
const BATCH = 200;
/** After a failed batch: wait, doubling up to this, before trying again. */
const MAX_BACKOFF_MS = 5000;

function toRow(e: RecordedEntry) {
  return {
    at: e.at,
    event: e.event,
    outcome: e.outcome,
    user_id: e.userId ?? null,
    username: e.username ?? null,
    ip: e.ip ?? null,
    user_agent: e.userAgent ? e.userAgent.slice(0, 512) : null,
    device_id: e.deviceId ?? null,
    session_id: e.sessionId ?? null,
    reason: e.reason ?? null,
    actor_id: e.actorId ?? null,
    data: e.data ? JSON.stringify(e.data) : null,
  };
}

/**
 * The SQL audit trail. `write` inserts inside the caller's transaction;
 * `record` buffers and inserts in batches (every 200 ms or 200 entries). A
 * batch that fails (database down) goes back to the head of the buffer and
 * is retried with backoff; the buffer is bounded, and only past 10,000
 * waiting entries are the oldest dropped (and counted).
 */
export function createSqlAudit(
  /** The audit table of one tenant (core.sql.scope). */
  db: (tenant: TenantId) => Kysely<Database>,
  clock: Clock,
  onError: (e: unknown) => void = () => {},
): Audit & { dropped(): number; pending(): number; stop(): Promise<void> } {
  let buf: RecordedEntry[] = [];
  const observers = new Set<(e: RecordedEntry) => void>();
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let backoff = 0;
  /** Entries dropped from the head while a batch taken from it was being written. */
  let shifted = 0;

  function schedule(ms = 200): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
    timer.unref();
  }

  const insert = (q: Kysely<Database> | Transaction<Database>, batch: RecordedEntry[]) =>
    q.insertInto('audit_events').values(batch.map(toRow)).execute();
  /** A batch in one statement per tenant (rows are in the order they were recorded within each). */
  const insertAll = async (batch: RecordedEntry[]) => {
    const byTenant = new Map<TenantId, RecordedEntry[]>();
    for (const e of batch) {
      const t = e.tenant ?? DEFAULT_TENANT;
      let list = byTenant.get(t);
      if (!list) byTenant.set(t, (list = []));
      list.push(e);
    }
    if (byTenant.size === 1) return void (await insert(db([...byTenant.keys()][0]!), batch));
    await db(DEFAULT_TENANT)
      .transaction()
      .execute(async (tx) => {
        for (const [t, list] of byTenant) await insert(rescope(tx, t), list);
      });
  };

  function notify(e: RecordedEntry): void {
    for (const o of observers) {
      try {
        o(e);
      } catch (err) {
        onError(err);
      }
    }
  }

  function flush(): Promise<void> {
    writing = writing.then(async () => {
      while (buf.length) {
        const batch = buf.slice(0, BATCH);
        shifted = 0;
        try {
          await insertAll(batch);
        } catch (e) {
          onError(e);
          backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 250);
          schedule(backoff);
          return;
        }
        backoff = 0;
        // Entries recorded while the batch was written stay behind it.
        buf = buf.slice(Math.max(0, batch.length - shifted));
      }
    });
    return writing;
  }

  return {
    record(entry: AuditEntry) {
      if (buf.length >= MAX_BUFFER) {
        buf.shift();
        shifted++;
        dropped++;
      }
      const e: RecordedEntry = { ...entry, at: clock.now() };
      buf.push(e);
      if (backoff === 0) {
        if (buf.length >= BATCH) void flush();
        else schedule();
      }
      notify(e);
    },
    async write(unit: Unit, entry: AuditEntry) {
      // The unit's transaction is the tenant's scope: the row is that tenant's.
      const e: RecordedEntry = { ...entry, at: clock.now() };
      await insert(unit.tx, [e]);
      unit.afterCommit(() => notify(e));
    },
    observe(fn) {
      observers.add(fn);
      return () => observers.delete(fn);
    },
    flush,
    dropped: () => dropped,
    pending: () => buf.length,
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await flush();
    },
  };
}
