/**
 * Shared bits of the fault helpers: waiting with a deadline, killing leftovers
 * when the test process ends abruptly (a process 'exit' hook), and running a
 * command to completion with its output captured.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` until it returns a truthy value or `ms` elapse; returns the value or undefined. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  ms: number,
  everyMs = 50,
): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(everyMs);
  }
}

// ── cleanup of leftovers if the test process ends abruptly ──────────────────
const exitHooks = new Set<() => void>();
let exitHookInstalled = false;
/** Registers `fn` to run when the test process exits; returns its unregistration. */
export function onExit(fn: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const f of exitHooks) {
        try {
          f();
        } catch {
          /* best effort */
        }
      }
    });
  }
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

/** Runs `cmd` to its end (SIGKILL after `timeoutMs`); resolves with its exit code and output. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: opts.cwd ?? tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.once('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}
