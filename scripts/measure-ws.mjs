#!/usr/bin/env node
/**
 * Measures the `/ws` hub of a real server (issue 5), standalone:
 *
 *   npm run build && node scripts/measure-ws.mjs [--sockets 19000] [--subscribers 1000] [--changes 60]
 *
 * 1. Starts `node dist/main.js` (embedded SQLite, fresh data dir, free port).
 * 2. Creates users through the admin API: `watch1..watch20` (user type `bench`),
 *    `change1..changeK` (type `bench`) and `idle1..idle10` (type `idle`).
 * 3. Opens the sockets from child processes, at most 5,000 each, so no process
 *    comes near the 20,000 open-file limit: `--subscribers` sockets of the
 *    `bench` watchers (each watcher token reused for 50 sockets) and the rest
 *    idle sockets (type `idle`, each of the 10 tokens reused for many sockets:
 *    one login = one session, so no session cap is involved). Tokens are
 *    reused on purpose: logging in 19,000 times would measure argon2, not the hub.
 * 4. Server memory: VmRSS of the server process after the sockets are open
 *    and idle, minus VmRSS before (after a warm-up), divided by the socket count.
 * 5. Delivery delay: a `change` user opens (then closes) one socket; every
 *    subscriber records `receive time − frame.at` for that user's presence
 *    frame. p50/p99 over all subscribers and changes.
 */
import { spawn, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const PER_CHILD = 5000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

// ── child: opens sockets, records presence delays ─────────────────────────
async function child() {
  const jobs = [];
  let watchIds = new Set();
  const delays = [];
  const sockets = [];
  process.on('message', async (m) => {
    if (m.cmd === 'open') {
      watchIds = new Set(m.watchIds);
      jobs.push(...m.jobs); // [{ token, count, watch }]
      let opened = 0;
      let failed = 0;
      const queue = jobs.flatMap((j) => Array.from({ length: j.count }, () => j));
      const worker = async () => {
        for (let j = queue.shift(); j; j = queue.shift()) {
          await new Promise((resolve) => {
            const ws = new WebSocket(`${m.url}/ws?jwt_token=${j.token}`, {
              perMessageDeflate: false,
            });
            ws.on('open', () => {
              opened++;
              sockets.push(ws);
              resolve();
            });
            ws.on('error', () => {
              failed++;
              resolve();
            });
            if (j.watch) {
              ws.on('message', (d) => {
                const f = JSON.parse(d.toString());
                if (f.type === 'presence' && watchIds.has(f.user_id))
                  delays.push(Date.now() - f.at);
              });
            }
          });
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
      process.send({ cmd: 'opened', opened, failed });
    } else if (m.cmd === 'report') {
      process.send({
        cmd: 'delays',
        delays,
        open: sockets.filter((s) => s.readyState === 1).length,
      });
    } else if (m.cmd === 'exit') {
      for (const s of sockets) s.terminate();
      process.exit(0);
    }
  });
}

// ── parent ────────────────────────────────────────────────────────────────
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

const rssKiB = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function parent() {
  const N = arg('sockets', 19000);
  const SUBS = Math.min(arg('subscribers', 1000), N);
  const CHANGES = arg('changes', 60);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-ws-'));
  const password = 'measure-admin-password-1';
  const server = spawn(process.execPath, [join(root, 'dist', 'main.js')], {
    cwd: root,
    env: {
      ...process.env,
      TESSERA_PORT: String(port),
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ADMIN_PASSWORD: password,
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '100000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const children = [];
  const cleanup = () => {
    for (const c of children) c.kill();
    server.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  const base = `http://127.0.0.1:${port}`;
  const url = `ws://127.0.0.1:${port}`;
  const call = async (method, path, body, token) => {
    const r = await fetch(base + path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j.data;
  };
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/healthz`);
      break;
    } catch {
      if (i > 200) throw new Error('server did not start');
      await sleep(100);
    }
  }
  const login = async (username) =>
    (await call('POST', '/api/public/auth/login', { username, password: 'measure-passphrase-1' }))
      .access_token;
  const admin = (await call('POST', '/api/public/auth/login', { username: 'admin', password }))
    .access_token;
  const mk = async (username, user_type) =>
    (
      await call(
        'POST',
        '/api/admin/users',
        { username, password: 'measure-passphrase-1', user_type, roles: ['user'] },
        admin,
      )
    ).id;
  const WATCHERS = Math.max(1, Math.ceil(SUBS / 50));
  const watchTokens = [];
  for (let i = 1; i <= WATCHERS; i++) {
    await mk(`watch${i}`, 'bench');
    watchTokens.push(await login(`watch${i}`));
  }
  const changeIds = [];
  const changeTokens = [];
  for (let i = 1; i <= CHANGES; i++) {
    changeIds.push(String(await mk(`change${i}`, 'bench')));
    changeTokens.push(await login(`change${i}`));
  }
  const idleTokens = [];
  for (let i = 1; i <= 10; i++) {
    await mk(`idle${i}`, 'idle');
    idleTokens.push(await login(`idle${i}`));
  }

  // Warm-up: load the code paths, then measure the baseline.
  for (let i = 0; i < 200; i++) {
    const ws = new WebSocket(`${url}/ws?jwt_token=${idleTokens[0]}`);
    await new Promise((r) => ws.on('open', r));
    ws.close();
  }
  await sleep(2000);
  const before = rssKiB(server.pid);

  // Plan: subscribers spread evenly over the children (so no single client
  // process becomes the bottleneck of the delay it measures), then idle sockets.
  const K = Math.ceil(N / PER_CHILD);
  const slices = Array.from({ length: K }, () => []);
  for (let i = 0; i < SUBS; i++)
    slices[i % K].push({ token: watchTokens[Math.floor(i / 50)], watch: true });
  for (let i = 0; i < N - SUBS; i++)
    slices[i % K].push({ token: idleTokens[i % idleTokens.length], watch: false });
  const t0 = Date.now();
  const opened = await Promise.all(
    Array.from({ length: K }, (_, k) => {
      const slice = slices[k];
      const jobs = [];
      for (const p of slice) {
        const last = jobs[jobs.length - 1];
        if (last && last.token === p.token && last.watch === p.watch) last.count++;
        else jobs.push({ token: p.token, watch: p.watch, count: 1 });
      }
      const c = fork(fileURLToPath(import.meta.url), ['--child'], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(c);
      return new Promise((resolve) => {
        c.once('message', (m) => resolve(m));
        c.send({ cmd: 'open', url, jobs, watchIds: changeIds });
      });
    }),
  );
  const ok = opened.reduce((n, m) => n + m.opened, 0);
  const failed = opened.reduce((n, m) => n + m.failed, 0);
  const openSecs = (Date.now() - t0) / 1000;
  await sleep(5000);
  const after = rssKiB(server.pid);

  // Presence changes: each change user comes online, then goes offline.
  for (let i = 0; i < CHANGES; i++) {
    const ws = new WebSocket(`${url}/ws?jwt_token=${changeTokens[i]}`);
    await new Promise((r) => ws.on('open', r));
    await sleep(100);
    ws.close();
    await sleep(100);
  }
  await sleep(1000);
  const reports = await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          c.once('message', resolve);
          c.send({ cmd: 'report' });
        }),
    ),
  );
  const delays = reports.flatMap((r) => r.delays).sort((a, b) => a - b);
  const stillOpen = reports.reduce((n, r) => n + r.open, 0);
  const expected = SUBS * CHANGES * 2;
  const result = {
    node: process.version,
    load_average_1m: Number(loadavg()[0].toFixed(2)),
    sockets_requested: N,
    sockets_opened: ok,
    sockets_failed: failed,
    sockets_still_open_at_end: stillOpen,
    open_seconds: openSecs,
    server_rss_before_kib: before,
    server_rss_after_kib: after,
    kib_per_connection: Number(((after - before) / Math.max(1, ok)).toFixed(2)),
    subscribers: SUBS,
    presence_changes: CHANGES * 2,
    deliveries: delays.length,
    deliveries_expected: expected,
    delay_ms_p50: pct(delays, 50),
    delay_ms_p99: pct(delays, 99),
    delay_ms_max: delays[delays.length - 1],
  };
  console.log(JSON.stringify(result, null, 2));
  for (const c of children) c.send({ cmd: 'exit' });
  await sleep(500);
  process.exit(0);
}

if (process.argv.includes('--child')) await child();
else await parent();
