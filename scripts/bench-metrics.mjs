#!/usr/bin/env node
// What the metrics cost (decision 0022). Needs `npm run build`.
//
//   node scripts/bench-metrics.mjs
//
// 1. The observation alone, in a loop: Tessera's cached series (ops/histogram.ts) against
//    prom-client's Histogram, with a cached `labels()` child and with a label object per call.
// 2. The onResponse hook itself, called in a loop with a request and a reply shaped like
//    Fastify's (is404 and routeOptions getters): the per-request cost, free of inject's noise.
// 3. Whole requests through Fastify (app.inject, 20 routes, GET of one of them), each app with
//    the onResponse hook Tessera had before (errors by status): nothing more ("before"),
//    Tessera's request metrics (http/request-metrics.ts), and the plain prom-client way (one
//    global onResponse hook, req.routeOptions.url, a label object per request). Rounds are
//    interleaved and the median per request is reported, so machine noise hits all alike;
//    "before-again" is the same app as "before": the difference between them is the noise.
// 4. A SQL statement (SQLite in memory, `select 1` through Kysely) without and with the
//    `onQuery` timing (db/kysely.ts).
// 5. With BENCH_REDIS_URL: a Redis GET without and with the `onCommand` timing (infra/redis.ts).
import Fastify from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { installRequestMetrics } from '../dist/http/request-metrics.js';
import { createFastHistogram } from '../dist/ops/histogram.js';
import { openDb } from '../dist/db/kysely.js';
import { createRedis, redisReady } from '../dist/infra/redis.js';
import { sql } from 'kysely';

const N = 2_000_000;
const labels = ['route', 'method', 'status'];

function loop(name, fn) {
  for (let i = 0; i < 100_000; i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`  ${name.padEnd(52)} ${ns.toFixed(1).padStart(7)} ns`);
  return ns;
}

console.log(`observation alone (${N.toLocaleString()} calls):`);
{
  const fast = createFastHistogram({
    name: 'fast_seconds',
    help: 'x',
    labelNames: labels,
    registry: new Registry(),
  }).child('/api/x/:id', 'GET', '200');
  const h = new Histogram({ name: 'prom_seconds', help: 'x', labelNames: labels, registers: [] });
  const child = h.labels('/api/x/:id', 'GET', '200');
  loop('tessera: cached series .observe(v)', (i) => fast.observe((i % 100) / 1000));
  loop('prom-client: cached labels() child .observe(v)', (i) => child.observe((i % 100) / 1000));
  loop('prom-client: .observe({route, method, status}, v)', (i) =>
    h.observe({ route: '/api/x/:id', method: 'GET', status: '200' }, (i % 100) / 1000),
  );
}

// 2. The hook itself, called in a loop with a request and reply as Fastify hands them over
//    (is404 and routeOptions as getters, like Fastify's): what each answered request pays.
{
  console.log(`\nthe onResponse hook alone (${N.toLocaleString()} calls):`);
  const hooks = { onRoute: [], onResponse: [] };
  const fake = { addHook: (name, fn) => hooks[name].push(fn) };
  installRequestMetrics(
    fake,
    createFastHistogram({
      name: 'h_seconds',
      help: 'x',
      labelNames: labels,
      registry: new Registry(),
    }),
  );
  const opts = { url: '/api/admin/users/:id', method: 'GET' };
  hooks.onRoute[0](opts);
  const routeHook = opts.onResponse[0];
  const globalHook = hooks.onResponse[0];
  const ctx = { url: opts.url, method: 'GET' };
  const req = {
    method: 'GET',
    get is404() {
      return ctx.url === undefined;
    },
    get routeOptions() {
      // Fastify 5 lib/request.js builds this object on every access.
      return { method: ctx.method, url: ctx.url, bodyLimit: 1, handlerTimeout: 0, config: ctx };
    },
  };
  const reply = { statusCode: 200, elapsedTime: 1.25 };
  const done = () => {};
  loop('tessera: route hook + global hook (is404)', () => {
    routeHook(req, reply, done);
    globalHook(req, reply, done);
  });
  const h = new Histogram({ name: 'p_seconds', help: 'x', labelNames: labels, registers: [] });
  loop('prom-client: one hook, routeOptions.url, label object', () => {
    h.observe(
      {
        route: req.routeOptions.url ?? 'unmatched',
        method: req.method,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

// 3. Whole requests.
async function app(kind) {
  const a = Fastify({ logger: false });
  // What app/app.ts already ran on every answer before (tessera_http_errors_total).
  const errors = new Counter({ name: 'e_total', help: 'x', labelNames: ['code'], registers: [] });
  a.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 400) errors.inc({ code: String(reply.statusCode) });
    done();
  });
  if (kind === 'tessera')
    installRequestMetrics(
      a,
      createFastHistogram({
        name: 'tessera_http_request_duration_seconds',
        help: 'x',
        labelNames: labels,
        registry: new Registry(),
      }),
    );
  if (kind === 'prom-client') {
    const h = new Histogram({ name: 'h_seconds', help: 'x', labelNames: labels, registers: [] });
    a.addHook('onResponse', (req, reply, done) => {
      h.observe(
        {
          route: req.routeOptions.url ?? 'unmatched',
          method: req.method,
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
  for (let i = 0; i < 20; i++) a.get(`/api/r${i}/:id`, async () => ({ ok: true }));
  await a.ready();
  return a;
}

const kinds = ['before', 'before-again', 'tessera', 'prom-client'];
const apps = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await app(k)])));
const REQS = 2_000;
const ROUNDS = 41;
const per = Object.fromEntries(kinds.map((k) => [k, []]));
async function round(k) {
  const a = apps[k];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQS; i++) await a.inject({ method: 'GET', url: `/api/r7/${i}` });
  return Number(process.hrtime.bigint() - t0) / REQS / 1000;
}
for (const k of kinds) await round(k); // warm-up
// The order rotates each round: whoever runs after another pays for its garbage otherwise.
for (let r = 0; r < ROUNDS; r++)
  for (let j = 0; j < kinds.length; j++) {
    const k = kinds[(r + j) % kinds.length];
    per[k].push(await round(k));
  }
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`\nwhole requests (app.inject, ${ROUNDS} interleaved rounds of ${REQS}, median):`);
const base = median(per.before);
for (const k of kinds) {
  const m = median(per[k]);
  const d =
    k === 'before' ? '' : `  (${m - base >= 0 ? '+' : ''}${((m - base) * 1000).toFixed(0)} ns)`;
  console.log(`  ${k.padEnd(13)} ${m.toFixed(2)} µs/request${d}`);
}
for (const a of Object.values(apps)) await a.close();

{
  const Q = 20_000;
  async function queries(onQuery) {
    const db = await openDb({ sqlitePath: ':memory:', ...(onQuery ? { onQuery } : {}) });
    const q = () => db.kysely.selectNoFrom(sql`1`.as('x')).execute();
    for (let i = 0; i < 2000; i++) await q();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < Q; i++) await q();
    const us = Number(process.hrtime.bigint() - t0) / Q / 1000;
    await db.close();
    return us;
  }
  const off = [];
  const on = [];
  for (let r = 0; r < 9; r++) {
    off.push(await queries());
    on.push(await queries(() => {}));
  }
  console.log(`\nSQL statement (SQLite :memory:, 9 interleaved runs of ${Q}, median):`);
  console.log(`  without the hook  ${median(off).toFixed(2)} µs/statement`);
  console.log(`  with the hook     ${median(on).toFixed(2)} µs/statement`);
}

if (process.env.BENCH_REDIS_URL) {
  const C = 20_000;
  async function commands(onCommand) {
    const r = createRedis(process.env.BENCH_REDIS_URL, 'bench', onCommand ? { onCommand } : {});
    await redisReady(r);
    for (let i = 0; i < 2000; i++) await r.get('bench:metrics:none');
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < C; i++) await r.get('bench:metrics:none');
    const us = Number(process.hrtime.bigint() - t0) / C / 1000;
    r.disconnect();
    return us;
  }
  const off = [];
  const on = [];
  for (let r = 0; r < 7; r++) {
    off.push(await commands());
    on.push(await commands(() => {}));
  }
  const med7 = (xs) => [...xs].sort((x, y) => x - y)[3];
  console.log(`\nRedis GET (sequential, 7 interleaved runs of ${C}, median):`);
  console.log(`  without the timing  ${med7(off).toFixed(2)} µs/command`);
  console.log(`  with the timing     ${med7(on).toFixed(2)} µs/command`);
}
