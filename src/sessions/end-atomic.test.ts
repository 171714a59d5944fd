import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory.js';
import { createRedis } from '../infra/redis.js';
import { me, uname } from '../test-support/auth-helpers.js';
import { dialects, dropSchema } from '../test-support/db.js';
import { ensureBuilt, NodeProcess } from '../test-support/processes.js';
import { deletePrefix } from '../test-support/redis.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { havePostgres, haveRedis, pgUrl, redisUrl, uniqueName } from '../test-support/services.js';
import { createRevocationList } from './revocation.js';

const sidOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string })
    .sid;

/**
 * @see issue 20, finding 1: a logout killed between "end the session" and
 * "revoke it" left the session ended in SQL with no revocation, its token
 * accepted everywhere, and a retried logout answering 200 without revoking.
 */
describe.each(dialects())('ending a session on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
  });
  afterAll(() => s?.close());

  it('writes the end, the revocation and both audit rows together', async () => {
    const name = uname('ea');
    await s.register(name);
    const t = await s.login(name);
    const sid = sidOf(t.access_token);
    expect(
      (await s.call('POST', '/api/public/auth/logout', { token: t.access_token })).statusCode,
    ).toBe(200);
    const k = s.rt.db.kysely;
    // No flush: the rows are committed with the logout, not buffered.
    const events = await k
      .selectFrom('audit_events')
      .select('event')
      .where('session_id', '=', sid)
      .execute();
    expect(events.map((e) => e.event).sort()).toEqual(['login.success', 'logout', 'session.end']);
    expect(
      await k
        .selectFrom('revocations')
        .select('id')
        .where('id', '=', `sid:${sid}`)
        .executeTakeFirst(),
    ).toBeDefined();
    expect(
      (
        await k
          .selectFrom('sessions')
          .select('end_reason')
          .where('id', '=', sid)
          .executeTakeFirstOrThrow()
      ).end_reason,
    ).toBe('LOGGED_OUT');
  });

  it('a session ended without its revocation (the old defect) is revoked by a retried logout and by a restart', async () => {
    const name = uname('eb');
    await s.register(name);
    const t = await s.login(name);
    const sid = sidOf(t.access_token);
    const k = s.rt.db.kysely;
    // The state a SIGKILL between the two old statements left behind.
    await k
      .updateTable('sessions')
      .set({ ended_at: s.rt.clock.now(), end_reason: 'LOGGED_OUT' })
      .where('id', '=', sid)
      .execute();
    expect(await me(s, t.access_token)).toBe('OK');
    // A node starting now refuses it: recently ended sessions are loaded too.
    const fresh = createRevocationList(k, createMemoryBus(), s.rt.clock, {
      dialect,
      maxTokenLifetimeMs: () => 930_000,
    });
    await fresh.load();
    expect(fresh.isSessionRevoked(sid)).toBe(true);
    // The retried logout is not a silent 200: it makes sure of the revocation.
    expect(
      (await s.call('POST', '/api/public/auth/logout', { token: t.access_token })).statusCode,
    ).toBe(200);
    expect(await me(s, t.access_token)).toBe('SESSION_ENDED');
    expect(
      await k
        .selectFrom('revocations')
        .select('id')
        .where('id', '=', `sid:${sid}`)
        .executeTakeFirst(),
    ).toBeDefined();
  });
});

/** The same defect with real processes: node A is killed inside the logout transaction. */
describe.skipIf(!(havePostgres() && haveRedis()))('a node killed in the middle of a logout', () => {
  const schema = uniqueName('ek').toLowerCase();
  const prefix = `${uniqueName('ek')}:`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-ek-'));
  const env = {
    TESSERA_HOST: '127.0.0.1',
    TESSERA_DATABASE_URL: pgUrl ?? '',
    TESSERA_DATABASE_SCHEMA: schema,
    TESSERA_REDIS_URL: redisUrl ?? '',
    TESSERA_REDIS_PREFIX: prefix,
    TESSERA_ADMIN_PASSWORD: 'end-atomic-admin-pw-1',
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_DATA_DIR: dataDir,
  };
  const b = new NodeProcess(env);
  const doomed = new NodeProcess({ ...env, TESSERA_FAILPOINTS: 'sessions.end.before-commit' });
  const restarted = new NodeProcess(env);

  beforeAll(async () => {
    ensureBuilt();
    await b.start();
    await doomed.start();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([b.stop(), doomed.stop(), restarted.stop()]);
    await dropSchema(schema);
    const r = createRedis(redisUrl!, 'cleanup');
    await deletePrefix(r, prefix);
    r.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const meOn = async (n: NodeProcess, token: string) => {
    const r = await n.call('GET', '/api/public/auth/me', { token });
    return r.status === 200 ? 'OK' : String(r.data?.error);
  };

  it('leaves the session whole (live, unrevoked) or gone, never ended-but-accepted; the retry revokes it everywhere', async () => {
    expect(
      (
        await b.call('POST', '/api/public/auth/register', {
          body: { username: 'kim', email: 'kim@example.com', password: 'a-strong-passphrase' },
        })
      ).status,
    ).toBe(201);
    const login = await b.call('POST', '/api/public/auth/login', {
      body: { username: 'kim', password: 'a-strong-passphrase' },
    });
    const token = login.data.data.access_token as string;
    const sid = sidOf(token);
    // The logout reaches the failpoint inside its transaction and the process dies.
    await expect(doomed.call('POST', '/api/public/auth/logout', { token })).rejects.toThrow();
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      await c.query(`set search_path to "${schema}"`);
      const row = (await c.query('select ended_at from sessions where id = $1', [sid])).rows[0] as {
        ended_at: string | null;
      };
      const rev = (
        await c.query('select count(*)::int as n from revocations where id = $1', [`sid:${sid}`])
      ).rows[0] as { n: number };
      // Nothing committed: the session is live and its token rightly accepted.
      expect({ ended: row.ended_at !== null, revoked: rev.n }).toEqual({
        ended: false,
        revoked: 0,
      });
      expect(await meOn(b, token)).toBe('OK');
      // The client's retry, on the surviving node.
      expect((await b.call('POST', '/api/public/auth/logout', { token })).status).toBe(200);
      expect(await meOn(b, token)).toBe('SESSION_ENDED');
      const audit = (
        await c.query('select event from audit_events where session_id = $1 order by event', [sid])
      ).rows.map((r: { event: string }) => r.event);
      expect(audit).toEqual(['login.success', 'logout', 'session.end']);
    } finally {
      await c.end();
    }
    await restarted.start();
    expect(await meOn(restarted, token)).toBe('SESSION_ENDED');
  }, 90_000);
});
