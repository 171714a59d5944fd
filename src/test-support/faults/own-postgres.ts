/**
 * Our own PostgreSQL cluster for fault tests: initdb in a temp dir, a free
 * port (never the shared one on 5432), trust auth; a test may stop it (fast
 * or immediate, like a crash) and start it again on the same port.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../processes.js';
import { onExit, run, waitFor } from './shared.js';
import { isRoot, postgresBinDir, userIds } from './tools.js';

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
