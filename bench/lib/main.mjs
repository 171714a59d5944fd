// Orchestration: scenario by scenario, every contender in the same run, repeats interleaved
// (lib/interleave.mjs). Writes results/latest.json and results/latest.md.
import { loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTENDERS, PEER_RSA, ROOT, Skip, startContender } from './contenders.mjs';
import { hashCost } from './hashcost.mjs';
import { runInterleaved } from './interleave.mjs';
import { LOAD_CPU } from './load.mjs';
import { machineInfo } from './machine.mjs';
import { parseOptions } from './options.mjs';
import { cleanupAll, makeTempDir, pin } from './procs.mjs';
import { updateDocs } from './docs.mjs';
import { renderMarkdown } from './report.mjs';
import { makeState } from './state.mjs';
import { login } from './scenarios/login.mjs';
import { publicKey, publicKeyShared } from './scenarios/public-key.mjs';
import { refresh } from './scenarios/refresh.mjs';
import { revocation } from './scenarios/revocation.mjs';
import { validate, validateNeverSeen } from './scenarios/validate.mjs';
import { verifier } from './scenarios/verifier.mjs';
import { websocket } from './scenarios/websocket.mjs';

const SCENARIOS = [validate, validateNeverSeen, login, refresh, revocation, verifier, publicKey, publicKeyShared, websocket];

const log = (msg) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const reasonOf = (err) => (err instanceof Skip ? err.message : `error: ${err.message}`);

/** What the ceilings replay: Tessera's own tokens and key when it runs, else the Express peer's. */
async function publishArtifacts(h, def, state, artifacts) {
  const slot = def.alg === 'HS256' ? 'hs' : 'rs';
  // Tessera's own tokens first; the Express peer's only when Tessera does not run.
  const rank = (id) => ({ tessera: 2, 'tessera-hs': 2, express: 1, 'express-hs': 1 })[id] ?? 0;
  if (rank(def.id) === 0 || (artifacts[slot] && rank(artifacts[slot].source) >= rank(def.id))) return;
  const tokensA = { ...(await state.tokensA()), source: def.id };
  let publicKey = PEER_RSA.publicKey;
  if (def.kind === 'tessera' && slot === 'rs') {
    const jwks = await (await fetch(`${h.url}/.well-known/jwks.json`)).json().catch(() => undefined);
    const kid = JSON.parse(Buffer.from(tokensA.sample.split('.')[0], 'base64url').toString()).kid;
    const jwk = jwks?.keys?.find((k) => k.kid === kid) ?? jwks?.keys?.[0];
    if (!jwk) throw new Error('Tessera serves no JWKS key for its tokens');
    publicKey = JSON.stringify(jwk);
    const me = await h.client.me(tokensA.sample);
    if (me.ok) artifacts.meJson = JSON.stringify(me.body);
  }
  const tokensB = def.id === 'tessera' ? await state.tokensB().catch(() => undefined) : undefined;
  artifacts[slot] = { source: def.id, publicKey, tokensA, tokensB };
}

function makeFleet(ctx) {
  const live = new Map();
  return {
    /** Starts a contender on first use; remembers a failed start as its skip reason. */
    async get(def) {
      if (!live.has(def.id)) {
        log(`starting ${def.label}`);
        try {
          const h = await startContender(def, ctx.artifacts);
          live.set(def.id, { h, state: makeState(h, def, ctx.opts, ctx.artifacts) });
        } catch (err) {
          log(`  not started: ${reasonOf(err)}`);
          live.set(def.id, { skipped: reasonOf(err) });
        }
      }
      return live.get(def.id);
    },
    async stop(id) {
      const c = live.get(id);
      if (c?.h) await c.h.stop();
      live.set(id, { skipped: 'stopped' });
    },
  };
}

async function runScenario(s, defs, fleet, ctx, results) {
  log(`scenario ${s.id}: ${s.title}`);
  const rows = (results.scenarios[s.id] = {});
  const prepared = new Map();
  const prepare = async (def) => {
    const c = await fleet.get(def);
    if (c.skipped) {
      rows[def.id] = { skipped: c.skipped };
      return;
    }
    log(`  preparing ${def.id}`);
    try {
      prepared.set(def.id, { def, h: c.h, job: await s.prepare(c.h, def, c.state, ctx) });
      if (s === validate) await publishArtifacts(c.h, def, c.state, ctx.artifacts).catch((err) => log(`  ceilings cannot replay ${def.id}: ${err.message}`));
      log(`  prepared ${def.id}`);
    } catch (err) {
      rows[def.id] = { skipped: reasonOf(err) };
      log(`  ${def.id} skipped: ${reasonOf(err)}`);
    }
  };
  const mine = defs.filter((d) => s.contenders.includes(d.id));
  // Set-up (users, logins, minting) of the servers overlaps; the ceilings replay their tokens, so come after.
  await Promise.all(mine.filter((d) => d.kind !== 'ceiling').map(prepare));
  for (const def of mine.filter((d) => d.kind === 'ceiling')) await prepare(def);
  // Measure in the fixed contender order, whatever order set-up finished in.
  const entries = mine.map((d) => prepared.get(d.id)).filter(Boolean);
  Object.assign(rows, await runInterleaved(entries, ctx.opts, log));
}

export async function main(argv) {
  const opts = parseOptions(argv);
  const started = new Date();
  const machine = { ...machineInfo(), loadAvgStart: loadavg().map((x) => x.toFixed(2)).join(' ') };
  log(`mode ${opts.mode}: ${opts.durationS} s runs, ${opts.warmupS} s warm-up, ${opts.repeats} repeat(s); ${machine.pinning}`);
  const scenarios = SCENARIOS.filter((s) => !opts.only || opts.only.includes(s.id));
  const defs = CONTENDERS.filter((d) => !opts.contenders || opts.contenders.includes(d.id));
  const results = { startedAt: started.toISOString(), machine, options: opts, scenarios: {}, notSelected: CONTENDERS.filter((d) => !defs.includes(d)).map((d) => d.id) };
  const ctx = { opts, artifacts: {}, tmp: makeTempDir('run') };
  // The orchestrator (set-up calls, logouts, probes) belongs to the load side: keep it off the server's core.
  pin(process.pid, LOAD_CPU);
  const fleet = makeFleet(ctx);
  try {
    if (scenarios.includes(login)) {
      log('timing one password hash per library, before any server starts');
      for (const kind of new Set(defs.map((d) => d.kind))) await hashCost(kind);
    }
    for (const [i, s] of scenarios.entries()) {
      await runScenario(s, defs, fleet, ctx, results);
      // Stop contenders no later scenario uses, so idle processes do not share the machine.
      for (const d of defs) if (!scenarios.slice(i + 1).some((later) => later.contenders.includes(d.id))) await fleet.stop(d.id);
    }
    results.complete = true;
  } finally {
    results.finishedAt = new Date().toISOString();
    results.elapsedS = Math.round((Date.now() - started.getTime()) / 1000);
    results.machine.loadAvgEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
    results.scenarioTitles = Object.fromEntries(SCENARIOS.map((s) => [s.id, s.title]));
    results.contenderLabels = Object.fromEntries(CONTENDERS.map((d) => [d.id, d.label]));
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    const md = renderMarkdown(results);
    writeFileSync(join(dir, 'latest.md'), md);
    if (results.complete && opts.mode === 'full' && !opts.only && !opts.contenders && updateDocs(md)) log('updated docs/performance.md');
    log(`wrote bench/results/latest.json and latest.md (${results.elapsedS} s)`);
    cleanupAll();
  }
}
