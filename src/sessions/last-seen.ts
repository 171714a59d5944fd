import type { Clock } from '../lib/clock.js';
import type { SessionStore } from './store.js';

/**
 * Seed 002's "refresh the session's last-seen at most once a day": the hot
 * path only marks the session in memory; a background flush writes marked
 * sessions in one UPDATE, whose WHERE clause (last_seen_at older than the
 * interval) keeps it to one write per session per interval across all nodes.
 */
/**
 * How often a session's last-seen is written: at most once per configured
 * interval (seed 002: once a day), but at least twice per idle timeout so a
 * session in use never looks idle.
 */
export function lastSeenIntervalSec(s: {
  lastSeenInterval: number;
  sessionIdleTimeout: number;
}): number {
  return Math.max(1, Math.min(s.lastSeenInterval, Math.floor(s.sessionIdleTimeout / 2)));
}

export function createLastSeen(
  store: SessionStore,
  clock: Clock,
  intervalSec: () => number,
  flushEveryMs = 5000,
  onError: (e: unknown) => void = () => {},
) {
  const written = new Map<string, number>();
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const MAX_TRACKED = 1_000_000;

  async function flush(): Promise<void> {
    if (!pending.size) return;
    const ids = [...pending];
    pending = new Set();
    const now = clock.now();
    const interval = intervalSec() * 1000;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await store.touch(chunk, now, now - interval);
      for (const id of chunk) written.set(id, now);
      // SQLite runs on this thread: let requests through between chunks.
      if (i + 500 < ids.length) await new Promise((r) => setImmediate(r));
    }
    if (written.size > MAX_TRACKED) {
      for (const [id, at] of written) if (now - at >= interval) written.delete(id);
      if (written.size > MAX_TRACKED) written.clear();
    }
  }

  return {
    /** Hot path: one Map lookup, no I/O. */
    touch(sid: string): void {
      const at = written.get(sid);
      if (at !== undefined && clock.now() - at < intervalSec() * 1000) return;
      pending.add(sid);
    },
    /** The session was just written (login, refresh): no need to touch it for a while. */
    noteWritten(sid: string, at: number): void {
      written.set(sid, at);
    },
    forget(sid: string): void {
      written.delete(sid);
      pending.delete(sid);
    },
    start(): void {
      timer = setInterval(() => void flush().catch(onError), flushEveryMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await flush().catch(onError);
    },
    flush,
    pendingCount: () => pending.size,
  };
}

export type LastSeen = ReturnType<typeof createLastSeen>;
