import type { RevocationEntry, RevocationSet } from './revocation-set.js';
import { readEvents } from './sse.js';

export interface FeedOptions {
  /** The feed's base URL, e.g. `https://auth.example.com/api/service/revocations`. */
  url: string;
  serviceToken: string;
  fetch: typeof fetch;
  set: RevocationSet;
  /** No byte (event or heartbeat) for this long: the connection is taken for dead and replaced. */
  heartbeatTimeoutMs: number;
  /** Reconnect delays: doubling from `minMs` to `maxMs`, each drawn between half and all of it. */
  backoff: { minMs: number; maxMs: number };
  onError: (e: unknown) => void;
}

/** An answer of the feed that is not a stream (401: the service token is wrong; 503: full). */
class FeedHttpError extends Error {
  override readonly name = 'FeedHttpError';
  constructor(readonly status: number) {
    super(
      `revocation feed answered HTTP ${status}` +
        (status === 401 ? ' (is the service token one of TESSERA_PUBLIC_API_TOKENS?)' : ''),
    );
  }
}

const delay = (ms: number) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    t.unref?.();
  });

/**
 * The client of Tessera's revocation feed: one streaming fetch of `<url>/stream` at a time,
 * resumed with `Last-Event-ID` after a drop; a `reset` (a fresh start, or resuming from too far
 * back, or from another node) loads the snapshot `<url>` before the state counts as current.
 * Reconnects with jittered exponential backoff, forever, until `stop()`.
 */
export function createRevocationFeed(o: FeedOptions) {
  const streamUrl = `${o.url.replace(/\/+$/, '')}/stream`;
  const auth = { authorization: `Bearer ${o.serviceToken}` };
  let last: string | undefined;
  let current = false;
  let downSince = Date.now();
  let stopped = false;
  let ctrl: AbortController | undefined;
  let markReady: () => void = () => {};
  const firstSync = new Promise<void>((r) => (markReady = r));
  let synced = false;

  function up(): void {
    current = true;
    synced = true;
    markReady();
  }

  async function loadSnapshot(signal: AbortSignal): Promise<void> {
    const res = await o.fetch(o.url, { headers: auth, signal });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new FeedHttpError(res.status);
    }
    const body = (await res.json()) as { data?: { revocations?: RevocationEntry[] } };
    for (const e of body.data?.revocations ?? []) o.set.add(e);
  }

  async function connectOnce(): Promise<boolean> {
    const c = (ctrl = new AbortController());
    let heard = Date.now();
    let healthy = false;
    const watchdog = setInterval(
      () => {
        if (Date.now() - heard > o.heartbeatTimeoutMs) c.abort(new Error('feed went silent'));
      },
      Math.min(1000, o.heartbeatTimeoutMs / 3),
    );
    watchdog.unref?.();
    try {
      const headers: Record<string, string> = { ...auth, accept: 'text/event-stream' };
      if (last) headers['last-event-id'] = last;
      const res = await o.fetch(streamUrl, { headers, signal: c.signal });
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        throw new FeedHttpError(res.status);
      }
      for await (const ev of readEvents(res.body, () => (heard = Date.now()))) {
        if (ev.event === 'revoke') {
          o.set.add(JSON.parse(ev.data) as RevocationEntry);
          last = ev.id;
        } else if (ev.event === 'reset') {
          current = false;
          // Until the snapshot is in, a drop must start over with a reset, not resume past it.
          last = undefined;
          await loadSnapshot(c.signal);
          last = ev.id;
          up();
          healthy = true;
        } else if (ev.event === 'resume') {
          up();
          healthy = true;
        }
      }
    } catch (e) {
      if (!stopped) o.onError(e);
    } finally {
      clearInterval(watchdog);
      if (current) downSince = Date.now();
      current = false;
    }
    return healthy;
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!stopped) {
      attempt = (await connectOnce()) ? 0 : attempt + 1;
      if (stopped) return;
      const cap = Math.min(o.backoff.maxMs, o.backoff.minMs * 2 ** Math.min(attempt, 20));
      await delay(cap / 2 + (Math.random() * cap) / 2);
    }
  }

  return {
    start(): void {
      void run();
    },
    stop(): void {
      stopped = true;
      ctrl?.abort();
    },
    /** Connected and caught up: what the set holds is what Tessera holds, to the last event. */
    current: (): boolean => current,
    /** Has been current at least once. */
    synced: (): boolean => synced,
    /** Since when it has not been current (ms), or 0 while it is. */
    downForMs: (): number => (current ? 0 : Date.now() - downSince),
    /** Resolves once first current, or after `timeoutMs` (check `synced()`). */
    ready: (timeoutMs: number): Promise<void> => Promise.race([firstSync, delay(timeoutMs)]),
  };
}

export type RevocationFeed = ReturnType<typeof createRevocationFeed>;
