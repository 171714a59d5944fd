/**
 * Fault-injection helpers: our OWN Redis and PostgreSQL servers on free ports
 * (never the shared ones on 6379/5432), which tests may kill, stop and
 * restart, and a `node dist/main.js` wrapper whose captured output (pino JSON
 * lines) tests can read.
 *
 * Every helper cleans up after itself (`destroy()` / `stop()`), and a process
 * 'exit' hook kills whatever a crashed test run left behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import pg from 'pg';
import { freePort, MAIN, ROOT } from './processes.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
function postgresBinDir(): string | undefined {
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

function userIds(name: string): { uid: number; gid: number } | undefined {
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

// ── build ───────────────────────────────────────────────────────────────────
/** Built sources (what tsconfig.build.json compiles) whose dist/ .js is missing or older. */
function staleBuildOutputs(): string[] {
  const src = join(ROOT, 'src');
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (p !== join(src, 'test-support')) walk(p);
      } else if (
        e.name.endsWith('.ts') &&
        !e.name.endsWith('.test.ts') &&
        !e.name.endsWith('.d.ts')
      ) {
        const out = join(ROOT, 'dist', relative(src, p).replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs)
          stale.push(relative(ROOT, p));
      }
    }
  };
  walk(src);
  return stale;
}

/**
 * Like processes.ts' ensureBuilt(), but decides per file: a dist/ .js older
 * than its source is rebuilt. (ensureBuilt() trusts dist/.tsbuildinfo, which
 * `tsc -p tsconfig.json --noEmit`, the type check, also rewrites: after a
 * type check it would run a stale dist/.) Compiles with its own incremental
 * state under the temp dir, so that state is never the type check's either.
 */
export function ensureFreshBuild(): void {
  if (existsSync(MAIN) && staleBuildOutputs().length === 0) return;
  const state = join(
    tmpdir(),
    `tessera-faults-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 10)}.tsbuildinfo`,
  );
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.build.json',
      '--tsBuildInfoFile',
      state,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  // tsc emits on type errors elsewhere in the tree; only a missing entry point is fatal.
  if (!existsSync(MAIN)) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  const still = staleBuildOutputs();
  if (still.length)
    console.warn(
      `[tessera tests] after the build, dist/ is still older than: ${still.slice(0, 5).join(', ')}${still.length > 5 ? ' ...' : ''}`,
    );
}

// ── cleanup of leftovers if the test process ends abruptly ──────────────────
const exitHooks = new Set<() => void>();
let exitHookInstalled = false;
function onExit(fn: () => void): () => void {
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

function run(
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

// ── Redis ───────────────────────────────────────────────────────────────────
/** Answers true when a Redis on `port` answers PING with PONG. */
function redisPing(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (v: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    s.once('error', () => done(false));
  });
}

/** A private redis-server on a free port: start, kill (SIGKILL), restart on the same port. */
export class OwnRedis {
  port = 0;
  private proc: ChildProcess | undefined;
  private dir: string | undefined;
  private output = '';
  private unhook: (() => void) | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.port) this.port = await freePort();
    this.dir ??= mkdtempSync(join(tmpdir(), 'tessera-redis-'));
    this.output = '';
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
      ],
      {
        cwd: this.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.proc = proc;
    proc.stdout!.on(
      'data',
      (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000)),
    );
    proc.stderr!.on(
      'data',
      (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000)),
    );
    this.unhook ??= onExit(() => this.proc?.kill('SIGKILL'));
    const ok = await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error('exited');
      return redisPing(this.port);
    }, 10_000);
    if (!ok) {
      proc.kill('SIGKILL');
      throw new Error(
        `redis-server on port ${this.port} did not answer PING within 10 s:\n${this.output}`,
      );
    }
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(sig);
    const t = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }

  /** Crash: SIGKILL, no shutdown, connections reset. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** Orderly stop (SIGTERM). */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** Starts again on the same port (an empty data set: nothing is saved). */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.kill();
    this.unhook?.();
    this.unhook = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

// ── PostgreSQL ──────────────────────────────────────────────────────────────
/** Answers true when `select 1` succeeds on `url`. */
export async function pgAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * A private PostgreSQL cluster in a temp dir, on a free port, trust auth.
 * As root, initdb and pg_ctl run as user `postgres` (runuser), which owns the dir.
 */
export class OwnPostgres {
  port = 0;
  private base: string | undefined;
  private bin: string;
  private unhook: (() => void) | undefined;
  private initialised = false;

  constructor() {
    const bin = postgresBinDir();
    if (!bin) throw new Error('OwnPostgres: no PostgreSQL server binaries (initdb) found');
    this.bin = bin;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return join(this.base!, 'data');
  }

  /** The server log (for diagnostics in failures). */
  log(): string {
    try {
      return readFileSync(join(this.base!, 'postgres.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private asPostgres(tool: string, args: string[], timeoutMs = 60_000) {
    const exe = join(this.bin, tool);
    return isRoot
      ? run('runuser', ['-u', 'postgres', '--', exe, ...args], { cwd: this.base!, timeoutMs })
      : run(exe, args, { cwd: this.base!, timeoutMs });
  }

  private async init(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.base = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
    const sock = join(this.base, 'sock');
    mkdirSync(sock);
    if (isRoot) {
      const ids = userIds('postgres');
      if (!ids) throw new Error("OwnPostgres: running as root needs a 'postgres' user");
      chownSync(this.base, ids.uid, ids.gid);
      chownSync(sock, ids.uid, ids.gid);
    }
    const r = await this.asPostgres('initdb', [
      '-D',
      this.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    if (r.code !== 0) throw new Error(`initdb failed (${r.code}):\n${r.out}`);
    this.unhook = onExit(() => {
      const args = ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'];
      const exe = join(this.bin, 'pg_ctl');
      if (isRoot)
        spawnSync('runuser', ['-u', 'postgres', '--', exe, ...args], {
          cwd: this.base!,
          stdio: 'ignore',
          timeout: 10_000,
        });
      else spawnSync(exe, args, { cwd: this.base!, stdio: 'ignore', timeout: 10_000 });
    });
    this.initialised = true;
  }

  /** initdb on first call, then starts the server (same port every time) and waits until it answers. */
  async start(): Promise<void> {
    if (!this.initialised) await this.init();
    const opts = `-p ${this.port} -k ${join(this.base!, 'sock')} -c listen_addresses=127.0.0.1 -c fsync=off`;
    const r = await this.asPostgres('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.base!, 'postgres.log'),
      '-o',
      opts,
      '-w',
      '-t',
      '30',
      'start',
    ]);
    if (r.code !== 0)
      throw new Error(`pg_ctl start failed (${r.code}):\n${r.out}\n${this.log().slice(-4000)}`);
    if (!(await waitFor(() => pgAnswers(this.url), 30_000, 100)))
      throw new Error(
        `PostgreSQL on port ${this.port} does not answer:\n${this.log().slice(-4000)}`,
      );
  }

  /** Stops the server: `fast` (sessions terminated, checkpoint) or `immediate` (like a crash). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.initialised) return;
    const r = await this.asPostgres(
      'pg_ctl',
      ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop'],
      40_000,
    );
    // 1: not running (already stopped).
    if (r.code !== 0 && !/not running|no server running|PID file .* does not exist/i.test(r.out))
      throw new Error(`pg_ctl stop failed (${r.code}):\n${r.out}`);
  }

  /** Is a server running on the data dir? */
  async running(): Promise<boolean> {
    if (!this.initialised) return false;
    const r = await this.asPostgres('pg_ctl', ['-D', this.dataDir, 'status'], 10_000);
    return r.code === 0;
  }

  /** Stops the server (immediate) and removes the cluster. */
  async destroy(): Promise<void> {
    if (this.initialised) await this.stop('immediate').catch(() => {});
    this.unhook?.();
    this.unhook = undefined;
    if (this.base) rmSync(this.base, { recursive: true, force: true });
    this.base = undefined;
    this.initialised = false;
  }
}

// ── a node whose output tests can read ──────────────────────────────────────
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
