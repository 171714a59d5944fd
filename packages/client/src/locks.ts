/**
 * Locks that serialise token refreshes across tabs. A refresh token is single
 * use and the server treats a second use as theft (the whole session ends),
 * so two tabs must never spend the same one: the tab holding the lock
 * refreshes, the others wait, then read the new pair from shared storage.
 */

/** Runs `fn` while holding the lock `name`, exclusively among all holders that share it. */
export interface RefreshLock {
  run<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** The Web Locks API's `navigator.locks`, as far as it is used here. */
export interface LockManagerLike {
  request<T>(name: string, options: { mode: 'exclusive' }, fn: () => Promise<T>): Promise<T>;
}

interface ChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
/** `BroadcastChannel` or anything constructed and used the same way. */
export type BroadcastChannelConstructor = new (name: string) => ChannelLike;

/** An in-process mutex per name: one holder at a time among the callers of this object. */
export function localLock(): RefreshLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const prev = tails.get(name) ?? Promise.resolve();
      const next = prev.then(fn, fn);
      const tail = next.then(
        () => undefined,
        () => undefined,
      );
      tails.set(name, tail);
      void tail.then(() => {
        if (tails.get(name) === tail) tails.delete(name);
      });
      return next;
    },
  };
}

/** The Web Locks API (every current browser): exclusive across the origin's tabs and workers. */
export function webLocks(locks: LockManagerLike): RefreshLock {
  return { run: (name, fn) => locks.request(name, { mode: 'exclusive' }, fn) };
}

type Msg =
  { t: 'claim'; id: string; at: number } | { t: 'held'; id: string } | { t: 'free'; id: string };

function isMsg(v: unknown): v is Msg {
  const m = v as Partial<Msg> | null;
  return typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.t === 'string';
}

/**
 * A lock over BroadcastChannel, for browsers without Web Locks. A contender
 * announces a claim and listens for `windowMs`: a holder answers `held`, and
 * of two claims at once the earlier (then the smaller id) wins, the earlier
 * repeating its claim to a later one that may not have heard it; a loser waits
 * for `free` (or `maxWaitMs`, should the holder's tab have died) and claims
 * again. Messages between tabs take well under the window, so two holders at
 * once need a delivery delay above it; Web Locks has no such window.
 */
export function broadcastLock(
  o: { BroadcastChannel?: BroadcastChannelConstructor; windowMs?: number; maxWaitMs?: number } = {},
): RefreshLock {
  const found =
    o.BroadcastChannel ??
    (globalThis as unknown as { BroadcastChannel?: BroadcastChannelConstructor }).BroadcastChannel;
  if (!found) throw new Error('BroadcastChannel is not available');
  const BC: BroadcastChannelConstructor = found;
  const windowMs = o.windowMs ?? 50;
  const maxWaitMs = o.maxWaitMs ?? 10_000;
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  // Callers of this object take turns first; only one of them contends on the channel.
  const local = localLock();

  async function hold<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const ch = new BC(`tessera-lock:${name}`);
    let state: 'claiming' | 'waiting' | 'held' = 'claiming';
    let mine = { at: 0 };
    let lost = false;
    let frees = 0;
    let wake: (() => void) | undefined;
    ch.onmessage = (ev) => {
      const m = ev.data;
      if (!isMsg(m) || m.id === id) return;
      if (m.t === 'claim') {
        if (state === 'held') ch.postMessage({ t: 'held', id });
        else if (state === 'claiming') {
          if (m.at < mine.at || (m.at === mine.at && m.id < id)) lost = true;
          // A later claimant opened its channel after ours was announced: tell it again.
          else ch.postMessage({ t: 'claim', id, at: mine.at });
        }
      } else if (m.t === 'held') lost = true;
      else {
        frees++;
        if (state === 'waiting') wake?.();
      }
    };
    const sleep = (ms: number) =>
      new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    try {
      for (;;) {
        state = 'claiming';
        lost = false;
        mine = { at: Date.now() };
        const freesBefore = frees;
        ch.postMessage({ t: 'claim', id, at: mine.at });
        await sleep(windowMs);
        wake = undefined;
        // One more turn of the event loop before deciding, in case a long task made the window's
        // timer due together with messages not yet delivered (defensive: not seen in Node 20).
        await new Promise<void>((r) => setTimeout(r, 0));
        if (!lost) break;
        state = 'waiting';
        if (frees === freesBefore) await sleep(maxWaitMs);
        wake = undefined;
      }
      state = 'held';
      try {
        return await fn();
      } finally {
        ch.postMessage({ t: 'free', id });
      }
    } finally {
      ch.onmessage = null;
      ch.close();
    }
  }

  return { run: (name, fn) => local.run(name, () => hold(name, fn)) };
}

/**
 * The best lock this environment has: Web Locks, else BroadcastChannel, else
 * an in-process one (then only this client's own calls are serialised).
 */
export function defaultLock(): RefreshLock {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  if (nav?.locks && typeof nav.locks.request === 'function') return webLocks(nav.locks);
  if (typeof globalThis.BroadcastChannel === 'function') return broadcastLock();
  return localLock();
}
