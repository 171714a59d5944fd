// Child processes, pinning, RSS sampling and clean-up on every exit path.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const syncCleanups = [];

/** `taskset` pins a process; without it (or with one core) everything runs unpinned. */
export const canPin = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Registers a synchronous clean-up (temp dir, schema, redis prefix) run once on exit. */
export function onCleanup(fn) {
  syncCleanups.push(fn);
}

export function makeTempDir(tag) {
  const dir = mkdtempSync(join(tmpdir(), `tessera-bench-${tag}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let cleanedUp = false;
export function cleanupAll() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const fn of syncCleanups.reverse()) {
    try {
      fn();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${err.message}\n`);
    }
  }
}

process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping children and cleaning up\n`);
    cleanupAll();
    process.exit(130);
  });
}

/** Puts a child spawned elsewhere under the same kill-on-exit rule. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Spawns a long-lived process, optionally pinned to `cpus` ("0", "1", "0,1"). Output goes to logFile. */
export function startProcess({ cmd, args, env, cwd, cpus, logFile }) {
  const [file, argv] = canPin && cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  if (logFile) {
    const out = createWriteStream(logFile);
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  child.exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
  child.exited.then(() => children.delete(child));
  return child;
}

/** Runs a short-lived process to completion; resolves with its stdout. */
export function runProcess({ cmd, args, env, cwd, cpus, input }) {
  const [file, argv] = canPin && cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args[0] ?? ''} exited with ${code}`));
    });
  });
}

export async function stopProcess(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Re-pins every thread of a running process (libuv pool included). No-op without taskset. */
export function pin(pid, cpus) {
  if (!canPin) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  } catch {
    /* process may have exited */
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Reads a kB field (VmRSS, VmHWM) of /proc/<pid>/status; undefined off Linux. */
export function procStatusKb(pid, field) {
  const path = `/proc/${pid}/status`;
  if (!existsSync(path)) return undefined;
  const m = readFileSync(path, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : undefined;
}

/** Samples VmRSS every `everyMs` until stopped; returns the peak in MiB. */
export function sampleRss(pid, everyMs = 200) {
  let peak = procStatusKb(pid, 'VmRSS') ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, procStatusKb(pid, 'VmRSS') ?? 0);
  }, everyMs);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, procStatusKb(pid, 'VmRSS') ?? 0);
    return peak / 1024;
  };
}

/** Polls `url` until it answers (any status) or the deadline passes. */
export async function waitForHttp(url, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before answering`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
