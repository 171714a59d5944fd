import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processLogSink } from './log-guard/secrets.js';

/** Helpers for tests that run real `node dist/main.js` processes. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(ROOT, 'dist', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory())
      newest = e.name === 'test-support' ? newest : Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ (what `npm run build` runs) unless it is newer than every built source file. */
export function ensureBuilt(): void {
  const info = join(ROOT, 'dist', '.tsbuildinfo');
  if (
    existsSync(MAIN) &&
    existsSync(info) &&
    statSync(info).mtimeMs >= newestSource(join(ROOT, 'src'))
  )
    return;
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  // tsc still emits on type errors elsewhere in the tree; only a missing entry point is fatal here.
  if (!existsSync(MAIN)) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** One `node dist/main.js` process. */
export class NodeProcess {
  private proc: ChildProcess | undefined;
  private output = '';
  port = 0;
  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.output = '';
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...this.env,
      TESSERA_PORT: String(this.port),
    };
    const proc = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    // Checked for secrets like every in-process log line (log-guard/).
    proc.stdout!.on('data', processLogSink());
    proc.stderr!.on('data', processLogSink());
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null)
        throw new Error(`node exited with ${proc.exitCode}:\n${this.output}`);
      try {
        if ((await fetch(this.url('/readyz'))).status === 200) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`node not ready in 30 s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async call(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string } = {},
  ): Promise<{ status: number; data: any }> {
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(this.url(path), {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    return { status: res.status, data: await res.json().catch(() => null) };
  }
}
