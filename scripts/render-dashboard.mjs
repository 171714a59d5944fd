#!/usr/bin/env node
// A picture of the Grafana dashboard from a real run (Grafana is not installed here):
// scripted load against a running Tessera, /metrics scraped at intervals, every panel of
// docs/grafana/tessera.json evaluated from the scrapes, drawn as SVG, then PNG with
// rsvg-convert when it is installed (a one-off tool: nothing in CI runs this script).
//
//   TESSERA_CAPTCHA_AFTER_FAILURES=100 TESSERA_LOCK_AFTER_FAILURES=4 \
//   TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR=20000 TESSERA_REDIS_URL=redis://… npm start &
//   node scripts/render-dashboard.mjs [--url http://127.0.0.1:8080] [--token T] \
//     [--scrapes 13] [--every 5] [--out docs/grafana/tessera]
//
// The queries are the dashboard's own, evaluated by the small PromQL subset below (rate,
// sum/max by, histogram_quantile, label matchers); a rate's window is the interval between two
// scrapes, not the dashboard's 5m. docs/metrics.md shows the result.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: o } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    token: { type: 'string', default: process.env.TESSERA_METRICS_TOKEN ?? '' },
    scrapes: { type: 'string', default: '13' },
    every: { type: 'string', default: '5' },
    out: { type: 'string', default: 'docs/grafana/tessera' },
  },
});
const base = o.url.replace(/\/$/, '');
const dashboard = JSON.parse(
  readFileSync(new URL('../docs/grafana/tessera.json', import.meta.url), 'utf8'),
);

// ── scripted load ──────────────────────────────────────────────────────────
const PW = `render-${randomBytes(6).toString('hex')}-passphrase`;
const post = (path, body, token) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body ?? {}),
  }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => ({})) }));
const login = (username, password = PW) => post('/api/public/auth/login', { username, password });

const tag = randomBytes(3).toString('hex');
const users = Array.from({ length: 12 }, (_, i) => `render_${tag}_${i}`);
for (const u of users) {
  const r = await post('/api/public/auth/register', {
    username: u,
    email: `${u}@example.com`,
    password: PW,
  });
  if (r.status !== 201) throw new Error(`register ${u}: ${r.status} ${JSON.stringify(r.body)}`);
}
const sockets = [];
let stop = false;
let step = 0;
async function load() {
  while (!stop) {
    const u = users[step % users.length];
    step++;
    const ok = await login(u);
    const t = ok.body?.data;
    if (t?.access_token) {
      await fetch(`${base}/api/public/auth/me`, {
        headers: { authorization: `Bearer ${t.access_token}` },
      });
      const next = await post('/api/public/auth/refresh', { refresh_token: t.refresh_token });
      // Every fifth user replays its old refresh token: reuse detected, the session ends.
      if (step % 5 === 0)
        await post('/api/public/auth/refresh', { refresh_token: t.refresh_token });
      else if (step % 3 === 0 && sockets.length < 40) {
        const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, ['bearer', t.access_token]);
        ws.on('error', () => {});
        sockets.push(ws);
      } else if (next.body?.data)
        await post('/api/public/auth/logout', {}, next.body.data.access_token);
    }
    // Wrong passwords: the last user is locked after a few (run with a low lock threshold).
    if (step % 4 === 0) await login(users[users.length - 1], 'wrong-password');
    if (step % 7 === 0) await login(`nobody_${tag}_${step % 3}`, 'wrong-password');
    if (step % 9 === 0) await fetch(`${base}/no/such/page?step=${step}`);
    if (step % 11 === 0) await fetch(`${base}/api/public/auth/public-key`);
    // Let the sockets go, now and then, so the connection count moves.
    if (step % 25 === 0) sockets.splice(0, 10).forEach((s) => s.close());
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
  }
}

// ── scrapes ────────────────────────────────────────────────────────────────
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
function parse(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = line.startsWith('#') ? null : LINE.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}
async function scrape() {
  const r = await fetch(`${base}/metrics`, {
    headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
  });
  if (r.status !== 200)
    throw new Error(`/metrics: ${r.status} (TESSERA_METRICS_TOKEN or --token?)`);
  return { at: Date.now(), samples: parse(await r.text()) };
}

const runners = [load(), load(), load()];
const scrapes = [];
for (let i = 0; i < Number(o.scrapes); i++) {
  if (i) await new Promise((r) => setTimeout(r, Number(o.every) * 1000));
  scrapes.push(await scrape());
  process.stdout.write(`scrape ${i + 1}/${o.scrapes}\n`);
}
stop = true;
await Promise.all(runners);
for (const s of sockets) s.terminate();

// ── the PromQL subset ──────────────────────────────────────────────────────
const key = (labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
function parseExpr(s) {
  s = s.trim();
  let m = /^histogram_quantile\(\s*([\d.]+)\s*,(.*)\)$/s.exec(s);
  if (m) return { op: 'quantile', q: Number(m[1]), arg: parseExpr(m[2]) };
  m = /^(sum|max)(?:\s+by\s*\(([^)]*)\))?\s*\((.*)\)$/s.exec(s);
  if (m)
    return {
      op: m[1],
      by: m[2] ? m[2].split(',').map((x) => x.trim()) : [],
      arg: parseExpr(m[3]),
    };
  m = /^rate\((.*)\[[^\]]+\]\)$/s.exec(s);
  if (m) return { op: 'rate', arg: parseExpr(m[1]) };
  m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/s.exec(s);
  if (m) {
    const match = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) match[l[1]] = l[2];
    return { op: 'select', name: m[1], match };
  }
  throw new Error(`query outside the subset: ${s}`);
}
function evaluate(e, i) {
  if (e.op === 'select') {
    return scrapes[i].samples
      .filter(
        (x) => x.name === e.name && Object.entries(e.match).every(([k, v]) => x.labels[k] === v),
      )
      .map((x) => ({ labels: x.labels, value: x.value }));
  }
  if (e.op === 'rate') {
    if (i === 0) return [];
    const dt = (scrapes[i].at - scrapes[i - 1].at) / 1000;
    const before = new Map(evaluate(e.arg, i - 1).map((x) => [key(x.labels), x.value]));
    return evaluate(e.arg, i).map((x) => {
      const prev = before.get(key(x.labels)) ?? 0;
      const d = x.value >= prev ? x.value - prev : x.value; // a counter reset
      return { labels: x.labels, value: d / dt };
    });
  }
  if (e.op === 'sum' || e.op === 'max') {
    const groups = new Map();
    for (const x of evaluate(e.arg, i)) {
      const labels = Object.fromEntries(e.by.map((k) => [k, x.labels[k] ?? '']));
      const g = groups.get(key(labels)) ?? { labels, value: e.op === 'sum' ? 0 : -Infinity };
      g.value = e.op === 'sum' ? g.value + x.value : Math.max(g.value, x.value);
      groups.set(key(labels), g);
    }
    return [...groups.values()];
  }
  if (e.op === 'quantile') {
    const byRest = new Map();
    for (const x of evaluate(e.arg, i)) {
      const { le, ...rest } = x.labels;
      const g = byRest.get(key(rest)) ?? { labels: rest, buckets: [] };
      g.buckets.push([le === '+Inf' ? Infinity : Number(le), x.value]);
      byRest.set(key(rest), g);
    }
    const out = [];
    for (const g of byRest.values()) {
      const b = g.buckets.sort((x, y) => x[0] - y[0]);
      const total = b.at(-1)?.[1] ?? 0;
      if (!(total > 0)) continue;
      const rank = e.q * total;
      let j = b.findIndex(([, c]) => c >= rank);
      if (b[j][0] === Infinity) {
        out.push({ labels: g.labels, value: b[j - 1]?.[0] ?? 0 });
        continue;
      }
      const [hi, cHi] = b[j];
      const [lo, cLo] = j > 0 ? b[j - 1] : [0, 0];
      const v = cHi === cLo ? hi : lo + ((hi - lo) * (rank - cLo)) / (cHi - cLo);
      out.push({ labels: g.labels, value: v });
    }
    return out;
  }
  throw new Error(e.op);
}

// ── drawing ────────────────────────────────────────────────────────────────
const COLORS = [
  '#73bf69',
  '#f2cc0c',
  '#5794f2',
  '#ff780a',
  '#f2495c',
  '#b877d9',
  '#8ab8ff',
  '#ffb357',
];
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function fmt(v, unit) {
  if (!Number.isFinite(v)) return '';
  if (unit === 's') {
    if (v === 0) return '0';
    if (v < 0.001) return `${(v * 1e6).toFixed(0)} µs`;
    if (v < 1) return `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} ms`;
    return `${v.toFixed(1)} s`;
  }
  const suffix = unit === 'reqps' ? ' req/s' : unit === 'ops' ? '/s' : '';
  const n =
    Math.abs(v) >= 1000
      ? `${(v / 1000).toFixed(1)}k`
      : v >= 10 || v === 0
        ? v.toFixed(0)
        : v.toFixed(2);
  return n + suffix;
}
const legendOf = (fmtStr, labels) =>
  fmtStr.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => labels[k] ?? '');

const PW_ = 560;
const PH = 300;
const GAP = 16;
const cols = 2;
const rows = Math.ceil(dashboard.panels.length / cols);
const width = cols * PW_ + (cols + 1) * GAP;
const height = rows * PH + (rows + 1) * GAP + 44;
const t0 = scrapes[0].at;
const t1 = scrapes.at(-1).at;
const parts = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Verdana, sans-serif">`,
  `<rect width="100%" height="100%" fill="#111217"/>`,
  `<text x="${GAP}" y="30" fill="#d8d9da" font-size="16">Tessera — ${esc(new Date(t0).toISOString().slice(0, 16).replace('T', ' '))} UTC: ${Math.round((t1 - t0) / 1000)} s of scripted load, ${scrapes.length} scrapes of /metrics, rates over each ${o.every} s</text>`,
];
dashboard.panels.forEach((p, n) => {
  const x0 = GAP + (n % cols) * (PW_ + GAP);
  const y0 = 44 + GAP + Math.floor(n / cols) * (PH + GAP);
  const unit = p.fieldConfig?.defaults?.unit ?? 'short';
  const lines = new Map();
  for (const t of p.targets) {
    const e = parseExpr(t.expr);
    for (let i = 0; i < scrapes.length; i++)
      for (const s of evaluate(e, i)) {
        const name = legendOf(t.legendFormat, s.labels);
        const l = lines.get(name) ?? [];
        l.push([scrapes[i].at, s.value]);
        lines.set(name, l);
      }
  }
  // The busiest series first; at most 8 drawn (the legend says how many more there were).
  const ranked = [...lines.entries()]
    .map(([name, pts]) => ({ name, pts, peak: Math.max(...pts.map((q) => q[1])) }))
    .sort((a, b) => b.peak - a.peak);
  const shown = ranked.slice(0, 8);
  const max = Math.max(...shown.map((s) => s.peak), 0) || 1;
  const px = x0 + 64;
  const py = y0 + 34;
  const pw = PW_ - 80;
  const ph = PH - 34 - 92;
  parts.push(
    `<rect x="${x0}" y="${y0}" width="${PW_}" height="${PH}" rx="3" fill="#181b1f" stroke="#2c3235"/>`,
  );
  parts.push(
    `<text x="${x0 + 10}" y="${y0 + 21}" fill="#d8d9da" font-size="13" font-weight="bold">${esc(p.title)}</text>`,
  );
  for (let k = 0; k <= 4; k++) {
    const y = py + ph - (ph * k) / 4;
    parts.push(`<line x1="${px}" y1="${y}" x2="${px + pw}" y2="${y}" stroke="#2c3235"/>`);
    parts.push(
      `<text x="${px - 6}" y="${y + 4}" fill="#8e8e8e" font-size="10" text-anchor="end">${esc(fmt((max * k) / 4, unit))}</text>`,
    );
  }
  for (let k = 0; k <= 2; k++) {
    const t = t0 + ((t1 - t0) * k) / 2;
    const x = px + (pw * k) / 2;
    parts.push(
      `<text x="${x}" y="${py + ph + 14}" fill="#8e8e8e" font-size="10" text-anchor="middle">${new Date(t).toISOString().slice(11, 19)}</text>`,
    );
  }
  const X = (t) => px + (t1 === t0 ? 0 : (pw * (t - t0)) / (t1 - t0));
  const Y = (v) => py + ph - (ph * Math.min(v, max)) / max;
  shown.forEach((s, k) => {
    const c = COLORS[k % COLORS.length];
    const d = s.pts
      .map(([t, v], j) => `${j ? 'L' : 'M'}${X(t).toFixed(1)},${Y(v).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.6"/>`);
    for (const [t, v] of s.pts)
      parts.push(`<circle cx="${X(t).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="1.8" fill="${c}"/>`);
    const lx = x0 + 10 + (k % 2) * (PW_ / 2);
    const ly = py + ph + 32 + Math.floor(k / 2) * 14;
    const last = s.pts.at(-1)[1];
    const label = `${s.name.length > 44 ? `${s.name.slice(0, 43)}…` : s.name}  ${fmt(last, unit)}`;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${c}"/>`);
    parts.push(
      `<text x="${lx + 14}" y="${ly - 3}" fill="#ccccdc" font-size="10">${esc(label)}</text>`,
    );
  });
  if (!shown.length)
    parts.push(
      `<text x="${px + pw / 2}" y="${py + ph / 2}" fill="#8e8e8e" font-size="12" text-anchor="middle">no data in this run</text>`,
    );
  if (ranked.length > shown.length)
    parts.push(
      `<text x="${x0 + PW_ - 10}" y="${y0 + 21}" fill="#8e8e8e" font-size="10" text-anchor="end">top 8 of ${ranked.length} series</text>`,
    );
});
parts.push('</svg>');
writeFileSync(`${o.out}.svg`, parts.join('\n'));
try {
  execFileSync('rsvg-convert', ['-o', `${o.out}.png`, `${o.out}.svg`]);
  process.stdout.write(`wrote ${o.out}.svg and ${o.out}.png\n`);
} catch {
  process.stdout.write(
    `wrote ${o.out}.svg (no rsvg-convert: apt-get install librsvg2-bin for the PNG)\n`,
  );
}
