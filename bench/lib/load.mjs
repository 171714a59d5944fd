// Autocannon driver: one child process per run, pinned to the load core, so the generator never
// shares a core with a pinned server and a run cannot leak state into the next.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, sampleRss } from './procs.mjs';

const WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));
export const LOAD_CPU = '1';
let specSeq = 0;

/** Runs one autocannon run while sampling the server's RSS; returns the worker summary plus rssPeakMiB. */
export async function runLoad(spec, { pid, tmp }) {
  const file = join(tmp, `spec-${process.pid}-${specSeq++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const stopRss = pid ? sampleRss(pid) : () => undefined;
  try {
    const out = await runProcess({ cmd: process.execPath, args: [WORKER, file], cpus: LOAD_CPU });
    return { ...JSON.parse(out), rssPeakMiB: stopRss() };
  } catch (err) {
    stopRss();
    throw err;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
};

/**
 * Folds the repeats of one contender in one scenario: the run with the median 2xx/s is reported
 * (its latencies with it, so p50/p99 belong to one real run) plus every run's req/s.
 */
export function aggregate(runs) {
  const good = (r) => r.ok2xx / r.durationS;
  const mid = median(runs.map(good));
  const chosen = runs.find((r) => good(r) === mid);
  return {
    ...chosen,
    rpsRuns: runs.map((r) => Math.round(good(r))),
    rssPeakMiB: Math.max(...runs.map((r) => r.rssPeakMiB ?? 0)),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    requestsAll: runs.reduce((a, r) => a + r.requests, 0),
  };
}
