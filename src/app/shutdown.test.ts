import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, sleep } from '../presence/ws-client.test-support.js';
import { ensureFreshBuild } from '../test-support/faults/build.js';
import { halfSentRequest, serve, type Served } from '../test-support/served-process.js';

const ADMIN = { username: 'admin', password: 'shutdown-test-admin-pw' };

async function login(s: Served, password = ADMIN.password): Promise<Response> {
  return fetch(s.url('/api/public/auth/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ADMIN.username, password }),
  });
}

/**
 * Graceful shutdown of the real process (src/main.ts): SIGTERM drains in-flight requests, closes
 * WebSockets with 1012, flushes batched writes, exits 0; past the bound it exits 1.
 * @see issue 12 item 4
 */
describe('shutdown of node dist/main.js', () => {
  const dirs: string[] = [];
  const procs: Served[] = [];
  beforeAll(() => ensureFreshBuild(), 120_000);
  afterEach(() => {
    for (const p of procs.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const start = async (env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-shutdown-'));
    dirs.push(dir);
    const s = await serve({
      TESSERA_DATA_DIR: dir,
      TESSERA_ADMIN_PASSWORD: ADMIN.password,
      TESSERA_LOG_LEVEL: 'info',
      ...env,
    });
    procs.push(s);
    return { s, dir };
  };

  it('finishes an in-flight request, closes sockets with 1012 and exits 0', async () => {
    const { s } = await start();
    const tokens = ((await (await login(s)).json()) as { data: { access_token: string } }).data;
    const ws = await connect(`ws://127.0.0.1:${s.port}/ws?jwt_token=${tokens.access_token}`);
    // A slow client: the server holds its request (headers and half the body) when SIGTERM comes.
    const slow = await halfSentRequest(
      s.port,
      '/api/public/auth/login',
      JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    );
    await sleep(300);
    s.proc.kill('SIGTERM');
    // The server stops accepting at once, but waits for the request it holds.
    const closed = await ws.closed;
    expect(closed.code).toBe(1012);
    await sleep(300);
    expect(s.proc.exitCode).toBeNull();
    const answer = await slow.finish();
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"access_token"');
    await expect(fetch(s.url('/healthz'))).rejects.toThrow();
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.output()).toContain('shut down cleanly');
  }, 60_000);

  it('flushes the batched last-seen and audit writes before it exits', async () => {
    // last-seen is written at most once a second here, and flushed only every 5 s otherwise.
    const { s, dir } = await start({ TESSERA_LAST_SEEN_INTERVAL_SECONDS: '1' });
    const tokens = ((await (await login(s)).json()) as { data: { access_token: string } }).data;
    await sleep(1100);
    const me = await fetch(s.url('/api/public/auth/me'), {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.status).toBe(200);
    const touchedAfter = Date.now();
    // Buffered (200 ms batches), not written in the request's transaction.
    expect((await login(s, 'not-the-password')).status).toBe(401);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    const db = new Database(join(dir, 'tessera.db'), { readonly: true });
    try {
      const row = db.prepare('select created_at, last_seen_at from sessions').get() as {
        created_at: number;
        last_seen_at: number;
      };
      expect(row.last_seen_at).toBeGreaterThan(row.created_at);
      expect(row.last_seen_at).toBeLessThanOrEqual(touchedAfter + 1000);
      const failures = db
        .prepare(
          "select count(*) as n from audit_events where event = 'login.failure' and username = ?",
        )
        .get(ADMIN.username) as { n: number };
      expect(failures.n).toBe(1);
    } finally {
      db.close();
    }
  }, 60_000);

  it('exits 1 once TESSERA_SHUTDOWN_TIMEOUT_SECONDS is over when a request never finishes', async () => {
    const { s } = await start({ TESSERA_SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const stuck = await halfSentRequest(s.port, '/api/public/auth/login', '{"username":"x"}');
    await sleep(300);
    const sent = Date.now();
    s.proc.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 1, signal: null });
    // The bound, with room for a loaded machine: not the 30 s request timeout.
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(s.output()).toContain('shutdown did not finish in time');
    stuck.socket.destroy();
  }, 60_000);
});
