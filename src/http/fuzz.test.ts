import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { collect, fuzzEveryRoute } from '../test-support/fuzz-runner.js';
import { hostileFrame } from '../test-support/fuzz.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { baseUrl } from '../presence/ws-client.test-support.js';

/** Cases in all (about); the seed is printed so a failure replays with FUZZ_SEED. */
const TOTAL = Number(process.env.FUZZ_CASES ?? 20_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const MiB = 1024 * 1024;

/**
 * Issue 12 item 7: hostile bodies, headers, query strings, paths and tokens for every operation
 * of the served OpenAPI document, as a logged-in user and as an admin (so guarded routes are
 * exercised past the guard) on real SQLite: no 5xx, every 4xx in the envelope, no internal detail,
 * every answer within 5 s, the heap bounded.
 */
describe('fuzz: every route of the OpenAPI document', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({
      // Many requests from one address: the per-IP login budget would answer 429 to most of
      // them and the fuzz would stop at the limiter. The public-key budget stays: without it one
      // client drains the RSA key pool, whose documented answer is then 503 UNAVAILABLE.
      config: {
        loginAttemptsPerIpPerHour: 1_000_000,
        rsaKeyPerIpPerMinute: 5,
        trustProxy: ['127.0.0.1'],
      },
    });
  });
  afterAll(() => s?.close());

  it(
    `answers every hostile request without 5xx, in the envelope, in time (seed ${SEED})`,
    async () => {
      const gc = collect();
      const ops = (s.app as unknown as { swagger(): { paths: object } }).swagger().paths;
      const count = Object.values(ops).reduce((n, item: object) => n + Object.keys(item).length, 0);
      gc();
      const before = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      const stats = await fuzzEveryRoute(s, {
        runsPerOp: Math.ceil(TOTAL / count),
        seed: SEED,
        keepGoing: process.env.FUZZ_KEEP_GOING === '1',
      });
      for (const f of stats.failures.slice(0, 200))
        console.log('FAIL', f.op, f.problems.join('; '), f.body.slice(0, 200));
      // Let what the last requests queued run before weighing the heap: a heap snapshot taken at
      // once held 1,031 pending setImmediate write callbacks of injected responses, each keeping
      // its request (1 MB hostile URLs included) alive: +56 MiB then, +8 MiB one second later.
      // A real leak outlives the pause.
      await new Promise((r) => setTimeout(r, 1000));
      gc();
      const after = process.memoryUsage().heapUsed;
      const summary = {
        ...stats,
        failures: undefined,
        seed: SEED,
        seconds: Math.round((performance.now() - t0) / 1000),
        heapBeforeMiB: Math.round(before / MiB),
        heapAfterMiB: Math.round(after / MiB),
        rssMiB: Math.round(process.memoryUsage().rss / MiB),
      };
      console.log(`fuzz summary ${JSON.stringify(summary)}`);
      expect(stats.failures).toEqual([]);
      expect(stats.failureCount).toBe(0);
      expect(stats.requests).toBeGreaterThanOrEqual(TOTAL * 0.95);
      expect(stats.byStatus.hang).toBeUndefined();
      expect((stats.byStatus['503'] ?? 0) - stats.keyPoolDrained).toBe(0);
      expect(Object.keys(stats.byStatus).filter((k) => Number(k) >= 500 && k !== '503')).toEqual(
        [],
      );
      // Guarded routes were reached past the guard: some answers are not 401/403.
      expect(stats.byStatus['200']).toBeGreaterThan(100);
      expect((after - before) / MiB).toBeLessThan(64);
    },
    Math.max(600_000, TOTAL * 10),
  );
});

type Outcome =
  { kind: 'frame'; type: unknown } | { kind: 'close'; code: number } | { kind: 'silence' };

/** The next answer on a socket: a frame, the close, or nothing within `ms`. */
function nextOutcome(ws: WebSocket, ms = 3000): Promise<Outcome> {
  return new Promise((resolve) => {
    const done = (o: Outcome) => {
      clearTimeout(t);
      ws.off('message', onMsg);
      ws.off('close', onClose);
      resolve(o);
    };
    const onMsg = (d: Buffer) => {
      let type: unknown;
      try {
        type = (JSON.parse(d.toString()) as { type?: unknown }).type;
      } catch {
        type = 'unparseable';
      }
      done({ kind: 'frame', type });
    };
    const onClose = (code: number) => done({ kind: 'close', code });
    const t = setTimeout(() => done({ kind: 'silence' }), ms);
    ws.on('message', onMsg);
    ws.on('close', onClose);
  });
}

function open(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${url}/ws`, ['bearer', token]);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Hostile frames on the customer-service realtime socket: each one gets an error frame (or a
 * pong, for a frame that is a ping after all) or a clean close (1007 bad UTF-8, 1009 too big,
 * 1002 protocol); the server never stops answering and a well-behaved client on another socket
 * keeps its pongs.
 */
describe('fuzz: WebSocket frames', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer();
  });
  afterAll(() => s?.close());

  it(`answers every hostile frame with an error frame or a clean close (seed ${SEED})`, async () => {
    const url = await baseUrl(s.app);
    await s.register('wsfuzz');
    const token = (await s.login('wsfuzz')).access_token;
    const good = await open(url, token);
    let bad = await open(url, token);
    const closes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(hostileFrame, async (f) => {
        if (bad.readyState !== WebSocket.OPEN) bad = await open(url, token);
        const answer = nextOutcome(bad);
        bad.send(f.data, { binary: f.binary });
        const o = await answer;
        if (o.kind === 'close') {
          closes[o.code] = (closes[o.code] ?? 0) + 1;
          return [1002, 1007, 1009].includes(o.code);
        }
        return o.kind === 'frame' && (o.type === 'error' || o.type === 'pong');
      }),
      { numRuns: 400, seed: SEED, endOnFailure: true },
    );
    const pong = nextOutcome(good);
    good.send('{"type":"ping"}');
    expect(await pong).toEqual({ kind: 'frame', type: 'pong' });
    expect((await s.call('GET', '/healthz')).statusCode).toBe(200);
    // The hostile cases did reach the close paths, not only the error frame.
    expect(Object.keys(closes).length).toBeGreaterThan(0);
    good.close();
    bad.close();
  }, 120_000);
});
