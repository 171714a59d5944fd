/**
 * A real Tessera listening on a loopback port for the SDK's tests, and a
 * fetch that records what the SDK sends (method, path, body).
 */
import { ManualClock } from '../../../src/lib/clock.js';
import { rememberSecretsIn } from '../../../src/test-support/log-guard/secrets.js';
import {
  createTestServer,
  type TestServer,
  type TestServerOptions,
} from '../../../src/test-support/server.js';
import type { FetchLike } from './http.js';

export const PW = 'a-strong-passphrase';

export interface Sent {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  status: number;
}

export interface Served {
  s: TestServer;
  clock: ManualClock;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
}

export async function serve(o: TestServerOptions = {}): Promise<Served> {
  const clock = (o.clock as ManualClock | undefined) ?? new ManualClock(Date.now());
  const s = await createTestServer({ ...o, clock, config: { rsaKeyPoolSize: 4, ...o.config } });
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = s.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  // Let the key pool fill: on a loaded machine a 2048-bit pair can take a second.
  const keys = s.rt.features.loginKeys;
  for (let i = 0; keys && i < 600 && keys.stats().pool.size < 3; i++)
    await new Promise((r) => setTimeout(r, 100));
  return { s, clock, origin: `http://127.0.0.1:${port}`, port };
}

/**
 * The global fetch, recording each call in `sent`; `before`/`after` hooks let a
 * test act between the SDK's requests (move the server's clock, count).
 */
export function recorder(hooks: { after?: (x: Sent) => void | Promise<void> } = {}): {
  fetch: FetchLike;
  sent: Sent[];
  count(method: string, pathPart: string): number;
} {
  const sent: Sent[] = [];
  const f: FetchLike = async (input, init) => {
    const url = new URL(input);
    const body =
      typeof init?.body === 'string'
        ? (JSON.parse(init.body) as Record<string, unknown>)
        : undefined;
    // What the SDK sends or receives under a secret key must never show in a log line.
    rememberSecretsIn(body, 'sent');
    const res = await fetch(input, init);
    rememberSecretsIn(
      await res
        .clone()
        .json()
        .catch(() => undefined),
      'answer',
    );
    const x: Sent = {
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      body,
      status: res.status,
    };
    sent.push(x);
    await hooks.after?.(x);
    return res;
  };
  return {
    fetch: f,
    sent,
    count: (method, part) =>
      sent.filter((x) => x.method === method && x.path.includes(part)).length,
  };
}
