import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';

/** Test client over a real socket: collects frames, waits for one, for the close, or for a refused upgrade. */
export interface Client {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  next(
    pred: (f: Record<string, unknown>) => boolean,
    ms?: number,
  ): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function baseUrl(app: FastifyInstance): Promise<string> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const a = app.server.address();
  if (!a || typeof a === 'string') throw new Error('not listening');
  return `127.0.0.1:${a.port}`;
}

export function wrap(ws: WebSocket): Client {
  const frames: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    frames,
    closed,
    next(pred, ms = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.find(pred);
          if (!f) return false;
          waiters.delete(check as () => void);
          clearTimeout(timer);
          resolve(f);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check as () => void);
          reject(new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(frames)}`));
        }, ms);
        if (!check()) waiters.add(check as () => void);
      });
    },
  };
}

/** Opens a socket; resolves when open, rejects with `HTTP <status> <body>` when the upgrade is refused. */
export function connect(
  url: string,
  opts: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], {
      headers: opts.headers ?? {},
      perMessageDeflate: false,
    });
    const c = wrap(ws);
    ws.once('open', () => resolve(c));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode} ${body}`)));
    });
    ws.once('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true (real time; for cross-node propagation). */
export async function eventually(fn: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(20);
  }
  throw new Error('condition not met in time');
}
