/**
 * Our own redis-server for fault tests: on a free port (never the shared one
 * on 6379), nothing saved, which a test may kill (SIGKILL), stop and restart
 * on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../processes.js';
import { onExit, waitFor } from './shared.js';

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

export interface OwnRedisOptions {
  /** More redis-server arguments, e.g. `--replicaof 127.0.0.1 <port>` or `--cluster-enabled yes`. */
  args?: (port: number) => string[];
  /**
   * Writes a config file into the server's directory and returns its path,
   * given as the first argument (a Sentinel needs a file it can rewrite).
   * Called once: a restart keeps what the server wrote into it.
   */
  configFile?: (port: number, dir: string) => string;
  /** Runs as a Sentinel (`--sentinel`; needs `configFile`). */
  sentinel?: boolean;
}

/** A private redis-server on a free port: start, kill (SIGKILL), restart on the same port. */
export class OwnRedis {
  port = 0;
  private conf: string | undefined;
  constructor(private readonly opts: OwnRedisOptions = {}) {}
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
    if (this.opts.configFile) this.conf ??= this.opts.configFile(this.port, this.dir);
    const proc = spawn(
      'redis-server',
      [
        ...(this.conf ? [this.conf] : []),
        ...(this.opts.sentinel ? ['--sentinel'] : []),
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
        ...(this.opts.args?.(this.port) ?? []),
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
    this.conf = undefined;
  }
}
