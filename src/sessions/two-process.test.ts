import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../infra/redis.js';
import { dropSchema } from '../test-support/db.js';
import { ensureBuilt, NodeProcess } from '../test-support/processes.js';
import { deletePrefix } from '../test-support/redis.js';
import { havePostgres, haveRedis, pgUrl, redisUrl, uniqueName } from '../test-support/services.js';

const PASSWORD = 'two-process-admin-pw-1';
const multi = havePostgres() && haveRedis();

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
    expect(
      (
        await a.call('POST', '/api/public/auth/register', {
          body: { username: 'pat', email: 'pat@example.com', password: 'a-strong-passphrase' },
        })
      ).status,
    ).toBe(201);
    for (let i = 0; i < 5; i++) {
      const t = await login(i % 2 ? b : a, 'pat');
      const [from, to] = i % 2 ? [b, a] : [a, b];
      expect(await meCode(to, t.access_token)).toBe('OK');
      expect(
        (await from.call('POST', '/api/public/auth/logout', { token: t.access_token })).status,
      ).toBe(200);
      expect(await refusedWithin(to, t.access_token, 1000)).toBeLessThan(1000);
    }
  });

  it('a process down during a revocation refuses the revoked token after restart', async () => {
    const t = await login(a, 'pat');
    const keep = await login(a, 'pat');
    expect(await meCode(b, t.access_token)).toBe('OK');
    await b.stop();
    expect(
      (await a.call('POST', '/api/public/auth/logout', { token: t.access_token })).status,
    ).toBe(200);
    const admin = await login(a, 'admin', PASSWORD);
    const sid = JSON.parse(
      Buffer.from(keep.access_token.split('.')[1]!, 'base64url').toString('utf8'),
    ).sid as string;
    expect(
      (await a.call('DELETE', `/api/admin/sessions/${sid}`, { token: admin.access_token })).status,
    ).toBe(200);
    await b.start();
    // The very first request after the restart is refused: the set is rebuilt from SQL before listening.
    expect(await meCode(b, t.access_token)).toBe('SESSION_ENDED');
    expect(await meCode(b, keep.access_token)).toBe('SESSION_ENDED');
    expect(await meCode(b, admin.access_token)).toBe('OK');
  }, 60_000);
});
