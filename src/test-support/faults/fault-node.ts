/**
 * A `node dist/main.js` process for fault tests whose captured output (pino
 * JSON lines) tests can read, whose calls have a deadline and report their
 * timing and headers, and whose exit is visible.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, MAIN, ROOT } from '../processes.js';
import { onExit, sleep } from './shared.js';

export interface Answer {
  status: number;
  /** Parsed JSON body, or null. */
  data: any;
  headers: Headers | undefined;
  /** Milliseconds from sending to the full answer (or to the failure). */
  ms: number;
  /** Set when no HTTP answer came: 'timeout' or the connection error. */
  failure?: string;
}

export interface LogLine {
  level?: number;
  msg?: string;
  [k: string]: unknown;
}

/**
 * One `node dist/main.js` process, like processes.ts' NodeProcess, but its
 * captured stdout/stderr is readable (`output`, `lines()`), a call has a
 * deadline and reports its timing and headers, and an exit is visible.
 */
export class FaultNode {
  private proc: ChildProcess | undefined;
  /** Everything the process wrote on stdout and stderr, in order. */
  output = '';
  port = 0;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  constructor(
    private readonly env: Record<string, string>,
    readonly name = 'node',
  ) {}

  get alive(): boolean {
    return !!this.proc && this.exit === undefined;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.output = '';
    this.exit = undefined;
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
    const unhook = onExit(() => proc.kill('SIGKILL'));
    proc.once('exit', (code, signal) => {
      this.exit = { code, signal };
      unhook();
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const exit = this.exit as FaultNode['exit'];
      if (exit)
        throw new Error(`${this.name} exited with ${exit.code ?? exit.signal}:\n${this.output}`);
      try {
        if (
          (await fetch(this.url('/readyz'), { signal: AbortSignal.timeout(2000) })).status === 200
        )
          return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready in 30 s:\n${this.output}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || this.exit) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }

  /** Crash: SIGKILL, no shutdown; resolves when the process has exited. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || this.exit) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** One HTTP call that never waits longer than `timeoutMs`. */
  async call(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string; timeoutMs?: number } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const start = performance.now();
    try {
      const res = await fetch(this.url(path), {
        method,
        headers,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      let data: any = null;
      try {
        data = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, data, headers: res.headers, ms: performance.now() - start };
    } catch (e) {
      const err = e as Error;
      const failure =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? 'timeout'
          : `${err.name}: ${(err.cause as Error | undefined)?.message ?? err.message}`;
      return { status: 0, data: null, headers: undefined, ms: performance.now() - start, failure };
    }
  }

  /** The end of the output (diagnostics: why did it exit?). */
  tail(chars = 2000): string {
    return this.output.slice(-chars);
  }

  /** A position in the output, for `lines(since)`. */
  mark(): number {
    return this.output.length;
  }

  /** Raw output lines written since `from` (a mark). */
  rawLines(from = 0): string[] {
    return this.output
      .slice(from)
      .split('\n')
      .filter((l) => l.trim() !== '');
  }

  /** The pino JSON lines written since `from`; other lines are skipped. */
  lines(from = 0): LogLine[] {
    const out: LogLine[] = [];
    for (const l of this.rawLines(from)) {
      if (!l.startsWith('{')) continue;
      try {
        out.push(JSON.parse(l) as LogLine);
      } catch {
        /* a partial or non-JSON line */
      }
    }
    return out;
  }
}
