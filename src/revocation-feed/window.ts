import { randomId } from '../lib/crypto.js';
import type { Revocation } from '../sessions/revocation.js';

/** One revocation as the feed sends it, numbered on this node. */
export interface FeedEvent {
  seq: number;
  /** The tenant it belongs to; undefined when the node learnt it from SQL without one (sent to every tenant). */
  tenant: string | undefined;
  /** The event's `data` line: `{kind, value, expiresAt}` and `notBefore` for a user. */
  data: string;
}

/** Where a client asks to resume from: replay after it, or start over with a snapshot. */
export type Resume = { replay: FeedEvent[] } | { reset: 'start' | 'unknown' | 'too old' };

/**
 * The recent revocations of this node, numbered 1, 2, 3… in the order the node applied them
 * (src/sessions/revocation.ts `onRevoke`: local commits, the bus, the SQL poll), in a ring of
 * `capacity`. Cursors are `<epoch>.<seq>`: the epoch is drawn at start, so a cursor from another
 * node or from before a restart is recognised as foreign and answered with a reset (the client
 * then reads the snapshot), never replayed against numbers that mean something else.
 */
export function createFeedWindow(capacity: number, epoch: string = randomId(6)) {
  const ring: (FeedEvent | undefined)[] = new Array<FeedEvent | undefined>(capacity);
  let last = 0;
  const listeners = new Set<(e: FeedEvent) => void>();

  return {
    epoch,
    cursor: (seq: number = last): string => `${epoch}.${seq}`,
    /** The newest sequence number (0: nothing yet). */
    last: (): number => last,
    append(r: Revocation): FeedEvent {
      const data: Record<string, unknown> = {
        kind: r.kind,
        value: r.value,
        expiresAt: r.expiresAt,
      };
      if (r.kind === 'user') data.notBefore = r.notBefore ?? 0;
      last += 1;
      const e: FeedEvent = { seq: last, tenant: r.tenant, data: JSON.stringify(data) };
      ring[last % capacity] = e;
      for (const l of listeners) l(e);
      return e;
    },
    /** What a client resuming from `cursor` (absent: a fresh client) is sent first. */
    resume(cursor: string | undefined): Resume {
      if (!cursor) return { reset: 'start' };
      const dot = cursor.lastIndexOf('.');
      const seq = Number(cursor.slice(dot + 1));
      if (dot <= 0 || cursor.slice(0, dot) !== epoch || !Number.isSafeInteger(seq) || seq < 0)
        return { reset: 'unknown' };
      if (seq > last) return { reset: 'unknown' };
      // The ring holds seq last-capacity+1 … last: everything after `seq` must still be there.
      if (seq < last - capacity) return { reset: 'too old' };
      const replay: FeedEvent[] = [];
      for (let s = seq + 1; s <= last; s++) replay.push(ring[s % capacity]!);
      return { replay };
    },
    subscribe(fn: (e: FeedEvent) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

export type FeedWindow = ReturnType<typeof createFeedWindow>;
