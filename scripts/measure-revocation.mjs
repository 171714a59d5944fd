#!/usr/bin/env node
// Cross-node revocation delay, measured on two real server processes.
//
//   npm run build && node scripts/measure-revocation.mjs [count=100]
//
// Starts two `node dist/main.js` on a fresh PostgreSQL schema and Redis prefix
// (TESSERA_TEST_DATABASE_URL / TESSERA_TEST_REDIS_URL, default 127.0.0.1),
// then `count` times: log in on A, check the token works on B, send the logout
// to A and meanwhile poll B back to back until it answers 401 SESSION_ENDED.
// Reports the delay from the logout request, and from A's answer, to B's first
// refusal: median / p90 / max. Drops the schema and the Redis keys afterwards.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'main.js');
const COUNT = Number(process.argv[2] ?? 100);
const PG = process.env.TESSERA_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.TESSERA_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const tag = `t_measure_${process.pid}_${Date.now().toString(36)}`;
const PASSWORD = 'a-strong-passphrase';

if (!existsSync(MAIN)) {
  console.error('dist/main.js is missing: run `npm run build` first');
  process.exit(1);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-measure-'));
const env = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  TESSERA_HOST: '127.0.0.1',
  TESSERA_DATABASE_URL: PG,
  TESSERA_DATABASE_SCHEMA: tag,
  TESSERA_REDIS_URL: REDIS,
  TESSERA_REDIS_PREFIX: `${tag}:`,
  TESSERA_ADMIN_PASSWORD: 'measure-admin-password',
  TESSERA_LOG_LEVEL: 'warn',
  TESSERA_DATA_DIR: dataDir,
};

async function startNode() {
  const port = await freePort();
  const proc = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...env, TESSERA_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`node exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('node not ready in 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const call = async (method, path, { body, token } = {}) => {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, data: await res.json().catch(() => null) };
  };
  return { proc, call };
}

const stat = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(2)} ms, p90 ${q(0.9).toFixed(2)} ms, max ${s[s.length - 1].toFixed(2)} ms`;
};

const nodes = [];
try {
  nodes.push(await startNode());
  nodes.push(await startNode());
  const [a, b] = nodes;
  const reg = await a.call('POST', '/api/public/auth/register', {
    body: { username: 'measure', email: 'measure@example.com', password: PASSWORD },
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status}`);
  const afterAnswer = [];
  const afterRequest = [];
  let polls = 0;
  for (let i = 0; i < COUNT; i++) {
    const login = await a.call('POST', '/api/public/auth/login', {
      body: { username: 'measure', password: PASSWORD },
    });
    const token = login.data.data.access_token;
    if ((await b.call('GET', '/api/public/auth/me', { token })).status !== 200)
      throw new Error('token not accepted on B');
    // Poll B back to back while A handles the logout, so a refusal that
    // arrives before A's answer shows as a negative delay.
    const t0 = performance.now();
    let t1 = 0;
    const out = a
      .call('POST', '/api/public/auth/logout', { token })
      .then((r) => ((t1 = performance.now()), r));
    for (;;) {
      polls++;
      const r = await b.call('GET', '/api/public/auth/me', { token });
      if (r.status === 401 && r.data?.error === 'SESSION_ENDED') break;
      if (performance.now() - t0 > 5000) throw new Error('B still accepts the token after 5 s');
    }
    const t2 = performance.now();
    if ((await out).status !== 200) throw new Error('logout failed');
    afterAnswer.push(t2 - t1);
    afterRequest.push(t2 - t0);
  }
  console.log(
    `cross-node revocation over ${COUNT} logouts (two processes, PostgreSQL + Redis pub/sub):`,
  );
  console.log(`  A's logout request sent → B's first refusal: ${stat(afterRequest)}`);
  console.log(
    `  A's logout answer → B's first refusal:       ${stat(afterAnswer)} (negative: B refused before A answered)`,
  );
  console.log(
    `  requests to B per revocation: ${(polls / COUNT).toFixed(2)} (B polled back to back from the moment the logout is sent)`,
  );
} finally {
  for (const n of nodes) n.proc.kill('SIGTERM');
  await Promise.all(
    nodes.map((n) =>
      n.proc.exitCode === null ? new Promise((r) => n.proc.once('exit', r)) : null,
    ),
  );
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${tag}" CASCADE`);
  await c.end();
  const r = new Redis(REDIS);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${tag}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  r.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
}
