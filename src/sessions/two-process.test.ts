import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../infra/redis.js';
import { dropSchema } from '../test-support/db.js';
import { deletePrefix } from '../test-support/redis.js';
import { havePostgres, haveRedis, pgUrl, redisUrl, uniqueName } from '../test-support/services.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'main.js');
const PASSWORD = 'two-process-admin-pw-1';
const multi = havePostgres() && haveRedis();

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = e.name === 'test-support' ? newest : Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ (what `npm run build` runs) unless it is newer than every built source file. */
function ensureBuilt(): void {
  const info = join(ROOT, 'dist', '.tsbuildinfo');
  if (existsSync(MAIN) && existsSync(info) && statSync(info).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  // tsc still emits on type errors elsewhere in the tree; only a missing entry point is fatal here.
  if (!existsSync(MAIN)) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** One `node dist/main.js` process. */
class NodeProcess {
  private proc: ChildProcess | undefined;
  private output = '';
  port = 0;
  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.output = '';
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env, TESSERA_PORT: String(this.port) };
    const proc = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`node exited with ${proc.exitCode}:\n${this.output}`);
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
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async call(method: string, path: string, opts: { body?: unknown; token?: string } = {}): Promise<{ status: number; data: any }> {
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(this.url(path), { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
    return { status: res.status, data: await res.json().catch(() => null) };
  }
}

/** Issue 4, for real: two server processes sharing PostgreSQL and Redis. */
describe.skipIf(!multi)('two server processes', () => {
  const schema = uniqueName('pp').toLowerCase();
  const prefix = `${uniqueName('pp')}:`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-2p-'));
  const env = {
    TESSERA_HOST: '127.0.0.1',
    TESSERA_DATABASE_URL: pgUrl ?? '',
    TESSERA_DATABASE_SCHEMA: schema,
    TESSERA_REDIS_URL: redisUrl ?? '',
    TESSERA_REDIS_PREFIX: prefix,
    TESSERA_ADMIN_PASSWORD: PASSWORD,
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_DATA_DIR: dataDir,
  };
  const a = new NodeProcess(env);
  const b = new NodeProcess(env);

  beforeAll(async () => {
    ensureBuilt();
    await a.start(); // first: migrates and creates the admin
    await b.start();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await dropSchema(schema);
    const r = createRedis(redisUrl!, 'cleanup');
    await deletePrefix(r, prefix);
    r.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const login = async (n: NodeProcess, username: string, password = 'a-strong-passphrase') => {
    const r = await n.call('POST', '/api/public/auth/login', { body: { username, password } });
    expect(r.status).toBe(200);
    return r.data.data as { access_token: string; refresh_token: string };
  };
  const meCode = async (n: NodeProcess, token: string) => {
    const r = await n.call('GET', '/api/public/auth/me', { token });
    return r.status === 200 ? 'OK' : String(r.data?.error);
  };
  const refusedWithin = async (n: NodeProcess, token: string, ms: number) => {
    const start = performance.now();
    while ((await meCode(n, token)) !== 'SESSION_ENDED') {
      if (performance.now() - start > ms) throw new Error(`still accepted after ${ms} ms`);
    }
    return performance.now() - start;
  };

  it('logout on one process: 401 on the other within 1 s', async () => {
    expect((await a.call('POST', '/api/public/auth/register', { body: { username: 'pat', email: 'pat@example.com', password: 'a-strong-passphrase' } })).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const t = await login(i % 2 ? b : a, 'pat');
      const [from, to] = i % 2 ? [b, a] : [a, b];
      expect(await meCode(to, t.access_token)).toBe('OK');
      expect((await from.call('POST', '/api/public/auth/logout', { token: t.access_token })).status).toBe(200);
      expect(await refusedWithin(to, t.access_token, 1000)).toBeLessThan(1000);
    }
  });

  it('a process down during a revocation refuses the revoked token after restart', async () => {
    const t = await login(a, 'pat');
    const keep = await login(a, 'pat');
    expect(await meCode(b, t.access_token)).toBe('OK');
    await b.stop();
    expect((await a.call('POST', '/api/public/auth/logout', { token: t.access_token })).status).toBe(200);
    const admin = await login(a, 'admin', PASSWORD);
    const sid = JSON.parse(Buffer.from(keep.access_token.split('.')[1]!, 'base64url').toString('utf8')).sid as string;
    expect((await a.call('DELETE', `/api/admin/sessions/${sid}`, { token: admin.access_token })).status).toBe(200);
    await b.start();
    // The very first request after the restart is refused: the set is rebuilt from SQL before listening.
    expect(await meCode(b, t.access_token)).toBe('SESSION_ENDED');
    expect(await meCode(b, keep.access_token)).toBe('SESSION_ENDED');
    expect(await meCode(b, admin.access_token)).toBe('OK');
  }, 60_000);
});
