// Measures the figures quoted in docs/decisions/0003-encrypted-login.md.
// Run after `npm run build`:   node scripts/measure-login-keys.mjs [--quick]
// Imports the compiled modules from dist/ (no tsx needed).
import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const dist = new URL('../dist/', import.meta.url);
const { createKeyPairPool } = await import(new URL('login-keys/pool.js', dist).href);
const { decryptOneTime, decryptSharedOaep, importPrivateKey } = await import(
  new URL('login-keys/rsa.js', dist).href
);
const { createLoginKeyService } = await import(new URL('login-keys/service.js', dist).href);
const { createMemoryLoginKeyStore } = await import(
  new URL('login-keys/store/memory.js', dist).href
);
const { createLimiterFactory } = await import(new URL('rate-limit/limiter.js', dist).href);
const { systemClock } = await import(new URL('lib/clock.js', dist).href);

const quick = process.argv.includes('--quick');
const ms = (x) => Math.round(x * 100) / 100;
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const out = {};

const genSync = (bits) =>
  generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });

// 1. Key generation, per pair (CPU time of one synchronous generation).
for (const bits of [2048, 3072]) {
  const n = quick ? 4 : bits === 2048 ? 30 : 10;
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    genSync(bits);
    t.push(performance.now() - t0);
  }
  out[`keygen_${bits}_ms`] = {
    n,
    mean: ms(mean(t)),
    p50: ms(pct(t, 50)),
    p90: ms(pct(t, 90)),
    max: ms(Math.max(...t)),
  };
}

// 2. Decryption per padding (one RSA private operation each; import cost separate).
for (const bits of [2048, 3072]) {
  const { publicKey, privateKey } = genSync(bits);
  const key = createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' });
  const pw = Buffer.from('correct horse battery staple');
  const label = Buffer.from('AAAAAAAAAAAAAAAAAAAAAAAA');
  const cts = {
    pkcs1_one_time: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, pw),
    oaep_one_time: publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      pw,
    ),
    oaep_shared_label: publicEncrypt(
      {
        key: publicKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: label,
      },
      pw,
    ),
    garbage: randomBytes(bits / 8).fill(0, 0, 1),
  };
  const n = quick ? 50 : 400;
  const run = (f) => {
    for (let i = 0; i < 20; i++) f();
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      f();
      t.push(performance.now() - t0);
    }
    return { mean: ms(mean(t)), p50: ms(pct(t, 50)), p99: ms(pct(t, 99)) };
  };
  out[`decrypt_${bits}_ms`] = {
    import_pkcs8: run(() => importPrivateKey(privateKey)),
    pkcs1_one_time: run(() => decryptOneTime(key, cts.pkcs1_one_time)),
    oaep_one_time: run(() => decryptOneTime(key, cts.oaep_one_time)),
    garbage_one_time: run(() => decryptOneTime(key, cts.garbage)),
    malformed_one_time: run(() => decryptOneTime(key, undefined)),
    oaep_shared: run(() => decryptSharedOaep(key, cts.oaep_shared_label, label)),
    garbage_shared: run(() => decryptSharedOaep(key, cts.garbage, label)),
  };
}

// 3. Event-loop delay while the pool refills (20 pairs of 2048 bits).
async function loopDelay(label, work) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  h.disable();
  out[`event_loop_delay_${label}`] = {
    wall_ms: Math.round(wall),
    p50_ms: ms(h.percentile(50) / 1e6),
    p99_ms: ms(h.percentile(99) / 1e6),
    max_ms: ms(h.max / 1e6),
  };
}
const pairs = quick ? 6 : 20;
await loopDelay('idle', () => new Promise((r) => setTimeout(r, 1000)));
await loopDelay('sync_keygen_on_loop', async () => {
  for (let i = 0; i < pairs; i++) {
    genSync(2048);
    await new Promise((r) => setImmediate(r));
  }
});
for (const concurrency of [1, 2]) {
  await loopDelay(`pool_async_concurrency_${concurrency}`, async () => {
    const t0 = performance.now();
    const pool = createKeyPairPool({ keySize: 2048, capacity: pairs, concurrency, warmup: pairs });
    await pool.start();
    out[`pool_refill_pairs_per_s_concurrency_${concurrency}`] = ms(
      (pool.stats().generated / (performance.now() - t0)) * 1000,
    );
    await pool.close();
  });
}
await loopDelay('worker_thread', async () => {
  const src = `const { generateKeyPairSync } = require('node:crypto'); const { parentPort, workerData } = require('node:worker_threads');
    for (let i = 0; i < workerData; i++) { const k = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } }); parentPort.postMessage(k); }`;
  const w = new Worker(src, { eval: true, workerData: pairs });
  let got = 0;
  await new Promise((resolve, reject) => {
    w.on('message', () => ++got === pairs && resolve());
    w.on('error', reject);
  });
  await w.terminate();
});

// 4. Sustained service rates (memory store, one thread, client encryption included).
async function serviceRate(label, seconds, alg, fill = false) {
  const clock = systemClock;
  const svc = createLoginKeyService({
    store: createMemoryLoginKeyStore({ clock }),
    clock,
    limiters: createLimiterFactory(undefined, 'measure:'),
    ttlSeconds: 300,
    keySize: 2048,
    poolSize: 64,
    poolConcurrency: 1,
    perIpPerMinute: 1e9,
    perSessionPerMinute: 1e9,
  });
  await svc.start();
  // One-time mode: start from a full pool to see how large a burst it absorbs.
  for (let i = 0; fill && i < 600 && svc.stats().pool.size < 63; i++)
    await new Promise((r) => setTimeout(r, 100));
  let burst;
  const pw = Buffer.from('correct horse battery staple');
  const t0 = performance.now();
  let ok = 0;
  let unavailable = 0;
  const okTimes = [];
  const badTimes = [];
  while (performance.now() - t0 < seconds * 1000) {
    // Each login is its own macrotask, as with real requests; without this the loop
    // would never reach libuv's poll phase and the pool could not refill.
    await new Promise((r) => setImmediate(r));
    let k;
    try {
      k = await svc.issue({ ip: '10.0.0.1', alg });
    } catch {
      burst ??= { keys: ok, ms: Math.round(performance.now() - t0) };
      unavailable++;
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const good = ok % 2 === 0;
    const opts = alg
      ? {
          key: k.public_key,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
          oaepLabel: Buffer.from(k.key_id),
        }
      : { key: k.public_key, padding: constants.RSA_PKCS1_PADDING };
    const ct = good
      ? publicEncrypt(opts, pw).toString('base64')
      : randomBytes(256).toString('base64');
    const c0 = performance.now();
    const r = await svc.consume(k.key_id, ct);
    (good ? okTimes : badTimes).push(performance.now() - c0);
    if (r.ok !== good) throw new Error('unexpected result');
    ok++;
  }
  const wall = (performance.now() - t0) / 1000;
  out[`service_${label}`] = {
    logins_per_s: ms(ok / wall),
    empty_pool_answers: unavailable,
    burst_before_first_503: burst ?? null,
    consume_ok_ms: { mean: ms(mean(okTimes)), p50: ms(pct(okTimes, 50)) },
    consume_undecryptable_ms: { mean: ms(mean(badTimes)), p50: ms(pct(badTimes, 50)) },
    pool: svc.stats().pool,
  };
  await svc.close();
}
await serviceRate('oaep_shared', quick ? 3 : 10, 'RSA-OAEP-256');
await serviceRate('pkcs1_one_time', quick ? 10 : 30, undefined, !quick);

console.log(JSON.stringify(out, null, 2));
