#!/usr/bin/env node
/**
 * Soak test (issue 12 item 8): a mixed load against a built server for a long time, sampling the
 * server's memory, event-loop delay and open file descriptors, then a verdict on whether memory
 * levelled off.
 *
 *   npm run build && node scripts/soak.mjs [--minutes 30] [--users 100] [--workers 4]
 *     [--sockets 20] [--rps 0] [--ips 256] [--sample-seconds 10] [--out DIR] [--max-slope 1]
 *
 * 1. Starts `node dist/main.js` on a fresh temp data dir (SQLite) and a free port. With
 *    SOAK_DATABASE_URL and SOAK_REDIS_URL set, it uses that PostgreSQL (a fresh schema, dropped at
 *    the end) and Redis (a fresh key prefix, deleted at the end) instead.
 * 2. Registers `--users` users (the public register route; calls carry X-Forwarded-For from a
 *    pool of `--ips` addresses and the per-IP budgets are raised, so neither per-IP limits nor brute-force
 *    rules, which only count failures, get in the way; the admin account is never used).
 * 3. Runs, until the time is up:
 *    - `--workers` HTTP clients, each in a loop: login, 20 × GET /api/public/auth/me, refresh,
 *      10 × /me with the new token, GET /api/auth/sessions, GET /api/auth/validate, logout;
 *    - `--sockets` WebSocket clients, each in a loop: login, open /ws (subprotocol `bearer`),
 *      a ping frame every 2 s and POST /api/auth/heartbeat every 5 s for 10–20 s, close, logout.
 *    `--rps N` caps the whole load at N requests a second (0: as fast as the server answers).
 * 4. Every `--sample-seconds`: the server's VmRSS and fd count (/proc/<pid>), and from its
 *    /metrics: heap used, event-loop lag p99/max over the interval (prom-client resets its
 *    histogram at each scrape), active handles. Rows go to DIR/soak.csv; DIR/soak.json has the
 *    summary. DIR defaults to a new temp dir.
 * 5. Verdict: least-squares slope of RSS and of heap used over the second half of the run (after
 *    warm-up, caches and the revocation set, which holds each revoked token for its lifetime, have
 *    filled); memory "levelled off" when both slopes are below `--max-slope` MiB per minute.
 *    Exit code 1 when it did not, or when any request answered something unexpected.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import {
  freePort,
  makeTempDir,
  onCleanup,
  procStatusKb,
  startProcess,
  stopProcess,
  waitForHttp,
} from '../bench/lib/procs.mjs';

const ROOT = new URL('..', import.meta.url).pathname;

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = process.argv[i + 1];
  return typeof dflt === 'number' ? Number(v) : v;
}

const opt = {
  minutes: arg('minutes', 30),
  users: arg('users', 100),
  workers: arg('workers', 4),
  sockets: arg('sockets', 20),
  rps: arg('rps', 0),
  ips: arg('ips', 256),
  sampleS: arg('sample-seconds', 10),
  maxSlope: arg('max-slope', 1),
  out: arg('out', ''),
};
const PASSWORD = 'Soak-passw0rd-2026!';
const MiB = 1024 * 1024;

// ── the server ───────────────────────────────────────────────────────────────────────────────────

function psql(url, sql) {
  execFileSync('psql', [url, '-qc', sql], { stdio: 'ignore', timeout: 10_000 });
}

async function startServer() {
  const port = await freePort();
  const tmp = makeTempDir('soak');
  const env = {
    TESSERA_PORT: String(port),
    TESSERA_HOST: '127.0.0.1',
    TESSERA_DATA_DIR: tmp,
    TESSERA_ADMIN_PASSWORD: `soak-admin-${randomBytes(8).toString('hex')}`,
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_TRUST_PROXY: '127.0.0.1',
    TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '1000000',
    TESSERA_RSA_KEY_REQUESTS_PER_IP_PER_MINUTE: '1000000',
  };
  const pg = process.env.SOAK_DATABASE_URL;
  const redis = process.env.SOAK_REDIS_URL;
  if (pg) {
    const schema = `soak_${process.pid}_${Date.now().toString(36)}`;
    Object.assign(env, { TESSERA_DATABASE_URL: pg, TESSERA_DATABASE_SCHEMA: schema });
    onCleanup(() => psql(pg, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  }
  if (redis) {
    const prefix = `tessera-soak:${process.pid}:`;
    env.TESSERA_REDIS_URL = redis;
    env.TESSERA_REDIS_PREFIX = prefix;
    onCleanup(() => {
      const keys = execFileSync('redis-cli', ['-u', redis, '--scan', '--pattern', `${prefix}*`])
        .toString()
        .split('\n')
        .filter(Boolean);
      for (let i = 0; i < keys.length; i += 500)
        execFileSync('redis-cli', ['-u', redis, 'del', ...keys.slice(i, i + 500)]);
    });
  }
  const logFile = join(tmp, 'server.log');
  const child = startProcess({
    cmd: process.execPath,
    args: [join(ROOT, 'dist', 'main.js')],
    cwd: ROOT,
    env,
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child, 60_000);
  return { url, child, logFile, store: pg ? `postgres${redis ? ' + redis' : ''}` : 'sqlite' };
}

// ── the load ─────────────────────────────────────────────────────────────────────────────────────

const counts = new Map(); // "op status" → n
const unexpected = [];
let requests = 0;
let stopping = false;

/** A global pacer: at most opt.rps request starts per second (0: no cap). */
let nextSlot = 0;
async function pace() {
  if (!opt.rps) return;
  const now = performance.now();
  const at = Math.max(now, nextSlot);
  nextSlot = at + 1000 / opt.rps;
  if (at > now) await sleep(at - now);
}

/**
 * Client addresses cycle over `--ips` (default 256): per-IP counters (the login budget and the
 * distinct-accounts set live a sliding hour, bounded at 500,000 keys) would otherwise grow for the
 * first hour of a run that gives every request a new address, and hide a real leak.
 */
let xff = 0;
async function call(base, op, method, path, { token, body, expect = [200] } = {}) {
  await pace();
  const i = xff++ % opt.ips;
  const headers = { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let status;
  let data;
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    status = res.status;
    const text = await res.text();
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  } catch (err) {
    status = `error:${err.name}`;
  }
  requests++;
  const key = `${op} ${status}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  if (!expect.includes(status)) {
    if (unexpected.length < 50)
      unexpected.push({ op, status, body: JSON.stringify(data).slice(0, 200) });
    return undefined;
  }
  return data?.data ?? null;
}

async function login(base, u) {
  return call(base, 'login', 'POST', '/api/public/auth/login', {
    body: { username: u, password: PASSWORD },
  });
}

async function httpWorker(base, users, w) {
  for (let n = w; !stopping; n++) {
    const u = users[n % users.length];
    const t = await login(base, u);
    if (!t) continue;
    for (let i = 0; i < 20 && !stopping; i++)
      await call(base, 'me', 'GET', '/api/public/auth/me', { token: t.access_token });
    const r = await call(base, 'refresh', 'POST', '/api/public/auth/refresh', {
      body: { refresh_token: t.refresh_token },
    });
    const access = r?.access_token ?? t.access_token;
    for (let i = 0; i < 10 && !stopping; i++)
      await call(base, 'me', 'GET', '/api/public/auth/me', { token: access });
    await call(base, 'sessions', 'GET', '/api/auth/sessions', { token: access });
    await call(base, 'validate', 'GET', '/api/auth/validate', { token: access });
    await call(base, 'logout', 'POST', '/api/public/auth/logout', { token: access });
  }
}

const ws = { opened: 0, closedClean: 0, pongs: 0, failures: 0, open: 0 };

function openSocket(base, token) {
  return new Promise((resolve) => {
    const s = new WebSocket(`${base.replace('http', 'ws')}/ws`, ['bearer', token]);
    s.once('open', () => resolve(s));
    s.once('error', () => resolve(undefined));
    s.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(undefined);
    });
  });
}

async function wsWorker(base, users, w) {
  for (let n = w; !stopping; n++) {
    const u = users[(n * 7 + 3) % users.length];
    const t = await login(base, u);
    if (!t) continue;
    const s = await openSocket(base, t.access_token);
    if (!s) {
      ws.failures++;
    } else {
      ws.opened++;
      ws.open++;
      s.on('message', (d) => {
        if (String(d).includes('"pong"')) ws.pongs++;
      });
      const closed = new Promise((r) => s.once('close', (code) => r(code)));
      const lifeMs = 10_000 + Math.random() * 10_000;
      const start = performance.now();
      for (let i = 0; performance.now() - start < lifeMs && !stopping; i++) {
        s.send('{"type":"ping"}');
        if (i % 3 === 0)
          await call(base, 'heartbeat', 'POST', '/api/auth/heartbeat', { token: t.access_token });
        await sleep(2000);
      }
      s.close(1000, 'done');
      const code = await Promise.race([closed, sleep(5000).then(() => 'timeout')]);
      ws.open--;
      if (code === 1000) ws.closedClean++;
      else ws.failures++;
    }
    await call(base, 'logout', 'POST', '/api/public/auth/logout', { token: t.access_token });
  }
}

// ── sampling and the verdict ─────────────────────────────────────────────────────────────────────

function metric(text, name) {
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

async function sample(base, pid, t0) {
  let text = '';
  try {
    text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  } catch {
    /* counted as missing values */
  }
  let fds;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    fds = undefined;
  }
  return {
    t_s: Math.round((performance.now() - t0) / 1000),
    requests,
    rss_mib: (procStatusKb(pid, 'VmRSS') ?? 0) / 1024,
    heap_used_mib: (metric(text, 'nodejs_heap_size_used_bytes') ?? 0) / MiB,
    eventloop_p99_ms: (metric(text, 'nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000,
    eventloop_max_ms: (metric(text, 'nodejs_eventloop_lag_max_seconds') ?? 0) * 1000,
    active_handles: metric(text, 'nodejs_active_handles_total'),
    fds,
    sockets_open: ws.open,
  };
}

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : 0;
}

const round = (x, d = 2) => (x === undefined ? undefined : Math.round(x * 10 ** d) / 10 ** d);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main() {
  const dir = opt.out || mkdtempSync(join(tmpdir(), 'tessera-soak-'));
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'soak.csv');
  const srv = await startServer();
  const pid = srv.child.pid;
  process.stdout.write(`soak: server ${srv.url} (pid ${pid}, ${srv.store}), results in ${dir}\n`);

  const users = Array.from({ length: opt.users }, (_, i) => `soak_${i}`);
  for (let i = 0; i < users.length; i += 8)
    await Promise.all(
      users.slice(i, i + 8).map((u) =>
        call(srv.url, 'register', 'POST', '/api/public/auth/register', {
          body: { username: u, email: `${u}@soak.invalid`, password: PASSWORD },
          expect: [201],
        }),
      ),
    );

  const t0 = performance.now();
  const end = t0 + opt.minutes * 60_000;
  const samples = [];
  const head = [
    't_s',
    'requests',
    'rss_mib',
    'heap_used_mib',
    'eventloop_p99_ms',
    'eventloop_max_ms',
    'active_handles',
    'fds',
    'sockets_open',
  ];
  writeFileSync(csv, `${head.join(',')}\n`);
  const sampler = (async () => {
    while (!stopping) {
      const s = await sample(srv.url, pid, t0);
      samples.push(s);
      appendFileSync(csv, `${head.map((k) => round(s[k]) ?? '').join(',')}\n`);
      process.stdout.write(
        `soak: ${s.t_s}s ${s.requests} req, rss ${round(s.rss_mib, 1)} MiB, heap ${round(s.heap_used_mib, 1)} MiB, ` +
          `loop p99 ${round(s.eventloop_p99_ms, 1)} ms, fds ${s.fds}, sockets ${s.sockets_open}\n`,
      );
      await sleep(Math.max(0, Math.min(opt.sampleS * 1000, end - performance.now())));
      if (performance.now() >= end) stopping = true;
    }
  })();
  const loads = [
    ...Array.from({ length: opt.workers }, (_, w) => httpWorker(srv.url, users, w)),
    ...Array.from({ length: opt.sockets }, (_, w) => wsWorker(srv.url, users, w)),
  ];
  await sampler;
  await Promise.all(loads);
  // Idle after the load: every socket closed, fds back to the baseline?
  await sleep(3000);
  const after = await sample(srv.url, pid, t0);
  await stopProcess(srv.child);

  const half = samples.filter((s) => s.t_s >= (opt.minutes * 60) / 2);
  const mins = half.map((s) => s.t_s / 60);
  const rssSlope = slope(
    mins,
    half.map((s) => s.rss_mib),
  );
  const heapSlope = slope(
    mins,
    half.map((s) => s.heap_used_mib),
  );
  const at = (f) => samples[Math.min(samples.length - 1, Math.floor(f * (samples.length - 1)))];
  const durationS = (after.t_s ?? 0) - 3;
  const loaded = samples.length > 1 ? samples.slice(1) : samples;
  const levelled = Math.abs(rssSlope) < opt.maxSlope && Math.abs(heapSlope) < opt.maxSlope;
  const summary = {
    store: srv.store,
    options: opt,
    duration_s: durationS,
    requests,
    throughput_rps: round(requests / durationS, 1),
    by_op_and_status: Object.fromEntries([...counts].sort()),
    unexpected,
    websocket: ws,
    memory: {
      rss_mib: {
        start: round(at(0).rss_mib),
        middle: round(at(0.5).rss_mib),
        end: round(at(1).rss_mib),
        max: round(Math.max(...samples.map((s) => s.rss_mib))),
      },
      heap_used_mib: {
        start: round(at(0).heap_used_mib),
        middle: round(at(0.5).heap_used_mib),
        end: round(at(1).heap_used_mib),
        max: round(Math.max(...samples.map((s) => s.heap_used_mib))),
      },
      second_half_slope_mib_per_min: { rss: round(rssSlope, 3), heap_used: round(heapSlope, 3) },
      threshold_mib_per_min: opt.maxSlope,
    },
    // The first interval holds the start and the user set-up, not the load.
    eventloop_ms: {
      p99_of_interval_p99s: round(
        pct(
          loaded.map((s) => s.eventloop_p99_ms),
          99,
        ),
      ),
      median_of_interval_p99s: round(
        pct(
          loaded.map((s) => s.eventloop_p99_ms),
          50,
        ),
      ),
      max: round(Math.max(...loaded.map((s) => s.eventloop_max_ms))),
    },
    fds: {
      start: at(0).fds,
      max: Math.max(...samples.map((s) => s.fds ?? 0)),
      end: at(1).fds,
      idle_after: after.fds,
    },
    active_handles: {
      start: at(0).active_handles,
      end: at(1).active_handles,
      idle_after: after.active_handles,
    },
    samples: samples.length,
    verdict: levelled ? 'memory levelled off' : 'memory still growing',
  };
  writeFileSync(join(dir, 'soak.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ ...summary, by_op_and_status: undefined }, null, 2)}\n`);
  process.stdout.write(
    `soak: ${summary.verdict}; ${unexpected.length} unexpected answers; ${csv}\n`,
  );
  process.exitCode = levelled && unexpected.length === 0 ? 0 : 1;
}

await main();
