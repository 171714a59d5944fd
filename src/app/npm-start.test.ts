import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../presence/ws-client.test-support.js';
import { ensureFreshBuild } from '../test-support/faults/build.js';
import { ROOT } from '../test-support/processes.js';
import { serve, type Served } from '../test-support/served-process.js';

/** Every descendant of `pid` now (Linux /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(e));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm start`, stopped by the PID of npm (what a process manager or a shell's `kill` does), stops
 * the server: the start script execs node, npm forwards the signal, the server shuts down.
 * @see issue 12 item 4
 */
describe('npm start', () => {
  let dir: string;
  let s: Served | undefined;
  /** npm's descendants while it ran: killed at the end if the test failed and left them. */
  let tree: number[] = [];
  beforeAll(() => {
    ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'tessera-npm-start-'));
  }, 120_000);
  afterAll(() => {
    for (const p of [...(s ? [s.proc.pid!] : []), ...tree])
      if (alive(p)) process.kill(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs no build step before start: the build belongs to install (prepare)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prestart).toBeUndefined();
    expect(pkg.scripts.prepare).toContain('tsc');
  });

  it('SIGTERM to the npm process stops the server, which exits cleanly', async () => {
    s = await serve(
      { TESSERA_DATA_DIR: dir, TESSERA_LOG_LEVEL: 'info', npm_config_loglevel: 'warn' },
      { file: 'npm', args: ['start'] },
    );
    tree = descendants(s.proc.pid!);
    expect(tree.length).toBeGreaterThan(0); // node, perhaps under sh
    process.kill(s.proc.pid!, 'SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    // npm waited for the server: nothing of the tree is left, within a bound.
    for (let i = 0; i < 100 && tree.some(alive); i++) await sleep(50);
    expect(tree.filter(alive)).toEqual([]);
    expect(s.output()).toContain('shut down cleanly');
    await expect(fetch(s.url('/healthz'))).rejects.toThrow();
  }, 60_000);
});
