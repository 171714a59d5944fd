// What the numbers were measured on.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { canPin } from './procs.mjs';

export function machineInfo() {
  let cpuModel = cpus()[0]?.model;
  try {
    cpuModel = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpuModel;
  } catch {
    /* not Linux */
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc').toString().trim());
  } catch {
    /* keep os.cpus() */
  }
  let git;
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  } catch {
    git = undefined;
  }
  return {
    nproc,
    cpuModel,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinned: canPin && nproc >= 2,
    pinning: canPin && nproc >= 2 ? 'server on core 0, load generator on core 1 (login: server on cores 0-1)' : 'unpinned (taskset missing or fewer than 2 cores)',
    gitCommit: git,
  };
}
