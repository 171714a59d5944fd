// Interleaved measurement of one scenario: every contender warms up, then repeat i of every
// contender runs before repeat i+1 of any. Noise from the rest of the machine (a shared 2-core
// box) then spreads over all contenders instead of landing on one, so the ratios hold.
import { aggregate, runLoad } from './load.mjs';
import { pin, sleep } from './procs.mjs';

async function once(e, spec) {
  const { h, job } = e;
  pin(h.pid, job.cpus ?? '0');
  try {
    return await runLoad(spec, h);
  } finally {
    pin(h.pid, '0,1');
  }
}

/**
 * entries: [{ def, h, job }] where job = { cpus, specFor(i) (i = -1: warm-up), hooks?: { before(i), after(i) },
 * settleMs?, finalize?(result) } or { custom: () => result } for scenarios that are not a load run.
 * Returns { [contenderId]: result | { skipped } }.
 */
export async function runInterleaved(entries, { warmupS, repeats }, log) {
  const out = {};
  const loads = [];
  for (const e of entries) {
    if (!e.job.custom) {
      loads.push(e);
      continue;
    }
    try {
      out[e.def.id] = await e.job.custom();
    } catch (err) {
      out[e.def.id] = { skipped: `error: ${err.message}` };
    }
  }
  const runs = new Map(loads.map((e) => [e, []]));
  const failed = new Map();
  const attempt = async (e, fn) => {
    if (failed.has(e)) return;
    try {
      await fn();
    } catch (err) {
      failed.set(e, err);
      log(`    ${e.def.id}: ${err.message}`);
    }
  };
  if (warmupS > 0) for (const e of loads) await attempt(e, () => once(e, { ...e.job.specFor(-1), duration: warmupS, amount: undefined }));
  for (let i = 0; i < repeats; i++) {
    for (const e of loads) {
      await attempt(e, async () => {
        if (e.job.settleMs) await sleep(e.job.settleMs);
        await e.job.hooks?.before?.(i);
        const run = await once(e, e.job.specFor(i));
        runs.get(e).push({ ...run, ...(await e.job.hooks?.after?.(i)) });
        log(`    ${e.def.id} run ${i + 1}/${repeats}: ${Math.round(run.ok2xx / run.durationS)} 2xx/s, p99 ${run.latencyMs.p99} ms, non-2xx ${run.non2xx}`);
      });
    }
  }
  for (const e of loads) {
    if (failed.has(e)) {
      out[e.def.id] = { skipped: `error: ${failed.get(e).message}` };
      continue;
    }
    await attempt(e, async () => {
      const agg = aggregate(runs.get(e));
      out[e.def.id] = { ...agg, ...(await e.job.finalize?.(agg)) };
    });
    if (failed.has(e)) out[e.def.id] = { skipped: `error: ${failed.get(e).message}` };
  }
  return out;
}
