/**
 * What the fault suite needs from this machine: redis-server, the PostgreSQL
 * server binaries (initdb, pg_ctl) and, as root, runuser and a `postgres`
 * user (initdb refuses root). Tells whether the suite can run.
 */
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const ci = process.env.CI === 'true' || process.env.CI === '1';
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The directory holding initdb, pg_ctl and postgres: /usr/lib/postgresql/<newest>/bin, else initdb's on PATH. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(base, v, 'bin', 'initdb')))
      .sort((x, y) => Number(y) - Number(x));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const initdb = onPath('initdb');
  return initdb ? dirname(realpathSync(initdb)) : undefined;
}

/** The uid and gid of user `name` in /etc/passwd, if there is one. */
export function userIds(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    /* no passwd file */
  }
  return undefined;
}

/** What the fault suite needs and this machine lacks (empty: all there). */
export function missingFaultTools(): string[] {
  const missing: string[] = [];
  if (!onPath('redis-server')) missing.push('redis-server');
  const bin = postgresBinDir();
  if (!bin) missing.push('initdb (PostgreSQL server binaries)');
  else if (!existsSync(join(bin, 'pg_ctl'))) missing.push(`${join(bin, 'pg_ctl')}`);
  if (isRoot) {
    if (!onPath('runuser')) missing.push('runuser (initdb refuses root)');
    if (!userIds('postgres')) missing.push("user 'postgres' (initdb refuses root)");
  }
  return missing;
}

const toldTools = new Set<string>();
/**
 * Like haveFaultTools(), for a suite that also needs `bins` (e.g. redis-cli):
 * elsewhere than CI, one line naming what is missing and false.
 */
export function haveTools(suite: string, bins: readonly string[]): boolean {
  if (!haveFaultTools()) return false;
  const missing = bins.filter((b) => !onPath(b));
  if (missing.length === 0 || ci) return true;
  if (!toldTools.has(suite)) {
    toldTools.add(suite);
    console.warn(`[tessera tests] ${suite} skipped: missing ${missing.join(', ')}`);
  }
  return false;
}

let toldFaults = false;
/**
 * True when the fault suite can run. Elsewhere than CI it prints one line
 * naming what is missing; under CI=true it is always true (the suite must run
 * and fails loudly if a tool is missing).
 */
export function haveFaultTools(): boolean {
  const missing = missingFaultTools();
  if (missing.length === 0 || ci) return true;
  if (!toldFaults) {
    toldFaults = true;
    console.warn(`[tessera tests] fault suites skipped: missing ${missing.join(', ')}`);
  }
  return false;
}
