#!/usr/bin/env node
// Issue 3: sustained encrypted-login vs plain-login throughput on one Tessera node.
//
//   npm run build && node bench/encrypted-login.mjs [seconds=60] [concurrency=8]
//
// Starts `node dist/main.js` (embedded default, both cores, as in the login scenario) and, for
// `seconds` each, drives three login kinds with `concurrency` parallel clients:
//   plain   — { username, password }
//   oaep    — GET public-key?alg=RSA-OAEP-256, WebCrypto RSA-OAEP-256 with the key id as label
//   pkcs1   — GET public-key (one-time key pair), PKCS#1 v1.5 like jsencrypt
// Reports logins/s, the 503 rate of the key endpoint, and the server's event-loop p99 (Prometheus
// nodejs_eventloop_lag_p99_seconds sampled every second). The clients encrypt on this process's
// core; the server is not pinned away from it, so figures are a floor.
import { spawn } from 'node:child_process';
import { constants, publicEncrypt, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.argv[2] ?? 60);
const CONC = Number(process.argv[3] ?? 8);
const USERS = 50;
const PASSWORD = 'bench-password-123';

const port = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'tessera-enc-'));
const server = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
  cwd: ROOT,
  stdio: 'ignore',
  env: {
    PATH: process.env.PATH,
    TESSERA_PORT: String(port),
    TESSERA_DATA_DIR: dir,
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_ADMIN_PASSWORD: 'bench-admin-password',
    TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '1000000',
    TESSERA_RSA_KEY_REQUESTS_PER_IP_PER_MINUTE: '1000000',
    TESSERA_RSA_KEY_REQUESTS_PER_SESSION_PER_MINUTE: '1000000',
    TESSERA_MAX_SESSIONS_PER_USER: '1000',
  },
});
const base = `http://127.0.0.1:${port}`;
const stop = () => {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

const post = async (path, body) => {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};
const key = async (query, sid) => {
  const r = await fetch(`${base}/api/public/auth/public-key${query}`, { headers: { 'x-session-id': sid } });
  return { status: r.status, body: await r.json() };
};

for (let i = 0; i < 120; i++) {
  try {
    if ((await fetch(`${base}/readyz`)).ok) break;
  } catch {
    /* not yet */
  }
  await new Promise((r) => setTimeout(r, 500));
}
for (let i = 0; i < USERS; i++) await post('/api/public/auth/register', { username: `enc${i}`, email: `enc${i}@example.com`, password: PASSWORD });
// Let the one-time key pool fill before measuring (it refills off the event loop).
await new Promise((r) => setTimeout(r, 12_000));

async function oaepEncrypt(pem, label) {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const k = await webcrypto.subtle.importKey('spki', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  const ct = await webcrypto.subtle.encrypt({ name: 'RSA-OAEP', label: new TextEncoder().encode(label) }, k, new TextEncoder().encode(PASSWORD));
  return Buffer.from(ct).toString('base64');
}
const pkcs1Encrypt = (pem) => publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(PASSWORD)).toString('base64');

async function lagP99() {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text);
  return m ? Number(m[1]) * 1000 : NaN;
}

async function run(kind) {
  let ok = 0;
  let unavailable = 0;
  let other = 0;
  const lags = [];
  const end = Date.now() + SECONDS * 1000;
  const sampler = setInterval(() => void lagP99().then((v) => lags.push(v), () => {}), 1000);
  await Promise.all(
    Array.from({ length: CONC }, async (_, w) => {
      for (let n = 0; Date.now() < end; n++) {
        const username = `enc${(w * 7 + n) % USERS}`;
        let body = { username, password: PASSWORD };
        if (kind !== 'plain') {
          const k = await key(kind === 'oaep' ? '?alg=RSA-OAEP-256' : '', `${kind}-${w}-${n}`);
          if (k.status === 503) {
            unavailable++;
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
          const d = k.body.data;
          body = { username, keyId: d.key_id, encryptedPassword: kind === 'oaep' ? await oaepEncrypt(d.public_key, d.label) : pkcs1Encrypt(d.public_key) };
        }
        const r = await post('/api/public/auth/login', body);
        if (r.status === 200) ok++;
        else other++;
      }
    }),
  );
  clearInterval(sampler);
  const sorted = lags.filter(Number.isFinite).sort((a, b) => a - b);
  return { kind, logins_per_s: +(ok / SECONDS).toFixed(1), key_503: unavailable, failed: other, eventloop_p99_ms_median: sorted.length ? +sorted[Math.floor(sorted.length / 2)].toFixed(1) : null };
}

try {
  const results = [];
  for (const kind of ['plain', 'oaep', 'pkcs1']) {
    const r = await run(kind);
    results.push(r);
    console.log(JSON.stringify(r));
  }
  const plain = results[0].logins_per_s;
  console.log(`oaep / plain = ${(results[1].logins_per_s / plain).toFixed(2)}, pkcs1 / plain = ${(results[2].logins_per_s / plain).toFixed(2)} (${SECONDS} s each, ${CONC} clients)`);
} finally {
  stop();
}
