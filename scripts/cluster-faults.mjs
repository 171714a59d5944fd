#!/usr/bin/env node
// The three-node fault run, long: src/reliability/cluster-faults.test.ts with
// its round of faults (Redis SIGKILLed and restarted, PostgreSQL stopped and
// started, a node SIGKILLed in the middle of logins and restarted) repeated
// until the time is up, then the fault table of every round and, per fault,
// the range of each figure over the rounds.
//
//   node scripts/cluster-faults.mjs [--seconds 300] [--outage-ms 4000]
//
// Needs redis-server and the PostgreSQL server binaries (initdb, pg_ctl); it
// starts its own instances on free ports and builds dist/ if it is stale.
// Exit status: the test's (0 when every invariant held).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    'outage-ms': { type: 'string', default: '4000' },
  },
});
const seconds = Number(values.seconds);
const outageMs = Number(values['outage-ms']);
if (!(seconds >= 0) || !(outageMs >= 500)) {
  console.error('usage: node scripts/cluster-faults.mjs [--seconds N>=0] [--outage-ms N>=500]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-faults-'));
const report = join(dir, 'report.json');
const r = spawnSync(
  process.execPath,
  [
    join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    'src/reliability/cluster-faults.test.ts',
  ],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      // The suite must run, never skip: a missing tool fails it loudly.
      CI: 'true',
      CLUSTER_FAULTS_SECONDS: String(seconds),
      CLUSTER_FAULTS_OUTAGE_MS: String(outageMs),
      CLUSTER_FAULTS_REPORT: report,
    },
  },
);
if (!existsSync(report)) {
  console.error('no report: the run did not get to its end (see above)');
  process.exit(r.status || 1);
}
const { summary, records, violations } = JSON.parse(readFileSync(report, 'utf8'));
rmSync(dir, { recursive: true, force: true });

const range = (xs) => {
  const v = xs.filter((x) => typeof x === 'number');
  if (!v.length) return 'n/a';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
};
console.log(`\nPer fault over ${records.length / 3} round(s) (min–max):\n`);
console.log(
  '| Fault | Rounds | Failed calls (total, by status code) | Failing for ms | Ready after restart ms | Slowest socket close ms | Online lists agree after ms | Revoked accepted |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const fault of ['redis', 'postgres', 'node']) {
  const rs = records.filter((x) => x.fault === fault);
  const by = new Map();
  for (const x of rs)
    for (const f of x.failed) {
      const k = f.status ? `${f.status} ${f.code}` : 'no answer';
      by.set(k, (by.get(k) ?? 0) + f.count);
    }
  const failed = [...by].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
  console.log(
    `| ${fault} | ${rs.length} | ${failed} | ${range(rs.map((x) => x.failingForMs))} | ${range(rs.map((x) => x.readyAfterMs))} | ${range(rs.map((x) => x.socketCloseMaxMs))} | ${range(rs.map((x) => x.onlineConvergedMs))} | ${rs.reduce((n, x) => n + x.sweep.accepted, 0)} |`,
  );
}
console.log(`\n${JSON.stringify(summary)}`);
console.log(
  violations.length
    ? `\n${violations.length} invariant violation(s):\n${violations.map((v) => `  (${v.invariant}) at ${v.at} ms: ${v.detail}`).join('\n')}`
    : '\nno invariant violated',
);
process.exit(r.status ?? 1);
