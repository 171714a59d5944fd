import type { ServerResponse } from 'node:http';
import type { FeedEvent, FeedWindow, Resume } from './window.js';

export interface StreamHubOptions {
  window: FeedWindow;
  maxStreams: () => number;
  heartbeatMs: number;
  maxBufferedBytes: () => number;
  /** A stream closed because its client read too slowly (counted by the caller). */
  onSlowClient?: () => void;
}

interface Stream {
  res: ServerResponse;
  tenant: string;
}

/** `id`, `event` and `data` lines of one server-sent event (the data is one JSON line). */
function frame(id: string, event: string, data: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

/**
 * The open revocation streams of this node: every revocation the window receives is written
 * to the streams of its tenant (or of every tenant when it has none), a comment line goes to
 * every stream each `heartbeatMs` from one shared timer, and a stream whose unsent data
 * passes `maxBufferedBytes` is destroyed rather than buffered without bound: its client
 * reconnects with its last id and resumes, or resets when it fell out of the window.
 */
export function createStreamHub(o: StreamHubOptions) {
  const streams = new Set<Stream>();
  let ticker: NodeJS.Timeout | undefined;

  function write(s: Stream, chunk: string): void {
    if (s.res.destroyed) return void streams.delete(s);
    if (s.res.writableLength > o.maxBufferedBytes()) {
      streams.delete(s);
      s.res.destroy();
      o.onSlowClient?.();
      return;
    }
    s.res.write(chunk);
  }

  const off = o.window.subscribe((e: FeedEvent) => {
    const chunk = frame(o.window.cursor(e.seq), 'revoke', e.data);
    for (const s of streams) if (e.tenant === undefined || e.tenant === s.tenant) write(s, chunk);
  });

  function tick(): void {
    for (const s of streams) write(s, ': heartbeat\n\n');
  }

  return {
    full: (): boolean => streams.size >= o.maxStreams(),
    size: (): number => streams.size,
    /**
     * Starts a stream on a response whose head was written: what `resume` says first (one
     * `reset` event whose id is the current cursor, or the replay then one `resume` event),
     * then every new revocation.
     * Synchronous from the resume to the subscription, so no revocation falls between them.
     */
    open(res: ServerResponse, tenant: string, resume: Resume): void {
      const s: Stream = { res, tenant };
      // EventSource reconnects after `retry` ms; the first frame also flushes the head.
      let head = 'retry: 1000\n\n';
      if ('reset' in resume)
        head += frame(o.window.cursor(), 'reset', JSON.stringify({ reason: resume.reset }));
      else {
        let n = 0;
        for (const e of resume.replay)
          if (e.tenant === undefined || e.tenant === tenant) {
            head += frame(o.window.cursor(e.seq), 'revoke', e.data);
            n += 1;
          }
        // Caught up: what follows is live. No id line, so the client's last id stays.
        head += `event: resume\ndata: ${JSON.stringify({ replayed: n })}\n\n`;
      }
      streams.add(s);
      res.on('close', () => streams.delete(s));
      write(s, head);
      if (!ticker) {
        ticker = setInterval(tick, o.heartbeatMs);
        ticker.unref();
      }
    },
    /** Ends every stream (shutdown): their clients reconnect to another node. */
    closeAll(): void {
      for (const s of streams) s.res.end();
      streams.clear();
    },
    stop(): void {
      off();
      if (ticker) clearInterval(ticker);
      ticker = undefined;
    },
  };
}

export type StreamHub = ReturnType<typeof createStreamHub>;
