import { get, type IncomingMessage } from 'node:http';

/** The service token the feed tests configure (TESSERA_PUBLIC_API_TOKENS). */
export const SERVICE_TOKEN = 'svc-feed-test-token-0123456789abcdef';

export interface Ev {
  id?: string;
  event: string;
  data: unknown;
}

/**
 * A raw SSE client over node:http: the events of one stream as they come, in order. (Not
 * fetch: undici opens a spare connection when a streaming fetch is aborted, which holds the
 * server's close for its 60 s connection timeout.)
 */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${SERVICE_TOKEN}`, ...headers } }, resolve).on(
      'error',
      reject,
    );
  });
  const events: Ev[] = [];
  let comments = 0;
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n\n')) !== -1) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev: Ev = { event: 'message', data: undefined };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments += 1;
        else if (line.startsWith('id: ')) ev.id = line.slice(4);
        else if (line.startsWith('event: ')) ev.event = line.slice(7);
        else if (line.startsWith('data: ')) ev.data = JSON.parse(line.slice(6));
      }
      if (ev.data !== undefined) events.push(ev);
    }
  });
  res.on('error', () => {});
  const until = async (pred: () => boolean, ms = 2000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`stream: condition not met in ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    status: res.statusCode,
    headers: res.headers,
    events,
    comments: () => comments,
    /** Waits until `n` events have come; returns the first `n`. */
    async take(n: number, ms?: number) {
      await until(() => events.length >= n, ms);
      return events.slice(0, n);
    },
    until,
    async close() {
      res.destroy();
      await new Promise((r) => setTimeout(r, 5));
    },
  };
}

export const revokes = (evs: Ev[]) =>
  evs.filter((e) => e.event === 'revoke').map((e) => (e.data as { value: string }).value);
