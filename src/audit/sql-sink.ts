import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import type { Audit, RecordedEntry } from './audit.js';

const MAX_BUFFER = 10_000;
const BATCH = 200;

/**
 * Buffers entries and inserts them in batches (every 200 ms or 200 entries).
 * If the database is unreachable for long, the buffer is bounded: the oldest
 * entries are dropped and counted, never unbounded memory.
 * An entry recorded during a request gets the request's IP, user agent and
 * device (audit/context.ts) where it did not say them itself.
 */
export function createSqlAudit(db: Kysely<Database>, clock: Clock, onError: (e: unknown) => void = () => {}): Audit & { dropped(): number; stop(): Promise<void> } {
  let buf: RecordedEntry[] = [];
  const observers = new Set<(e: RecordedEntry) => void>();
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, 200);
    timer.unref();
  }

  async function writeBatch(batch: RecordedEntry[]): Promise<void> {
    await db
      .insertInto('audit_events')
      .values(
        batch.map((e) => ({
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
        })),
      )
      .execute();
  }

  function flush(): Promise<void> {
    writing = writing.then(async () => {
      while (buf.length) {
        const batch = buf.slice(0, BATCH);
        buf = buf.slice(BATCH);
        try {
          await writeBatch(batch);
        } catch (e) {
          onError(e);
          return;
        }
      }
    });
    return writing;
  }

  return {
    record(entry) {
      if (buf.length >= MAX_BUFFER) {
        buf.shift();
        dropped++;
      }
      const e: RecordedEntry = { ...entry, at: clock.now() };
      buf.push(e);
      if (buf.length >= BATCH) void flush();
      else schedule();
      for (const o of observers) {
        try {
          o(e);
        } catch (err) {
          onError(err);
        }
      }
    },
    observe(fn) {
      observers.add(fn);
      return () => observers.delete(fn);
    },
    flush,
    dropped: () => dropped,
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await flush();
    },
  };
}

