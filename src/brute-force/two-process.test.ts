/**
 * Issue 6 for real: two `node dist/main.js` processes on one PostgreSQL
 * schema and one Redis prefix share failure counts, locks, the per-IP
 * budget, the ALTCHA key and the used-captcha records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../infra/redis.js';
import { dropSchema } from '../test-support/db.js';
import { ensureBuilt, NodeProcess } from '../test-support/processes.js';
import { deletePrefix } from '../test-support/redis.js';
import { havePostgres, haveRedis, pgUrl, redisUrl, uniqueName } from '../test-support/services.js';

describe.skipIf(!(havePostgres() && haveRedis()))(
  'two server processes share the brute-force state',
  () => {
    const schema = uniqueName('sx').toLowerCase();
    const prefix = `${uniqueName('sx')}:`;
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sec-'));
    const env = {
      TESSERA_HOST: '127.0.0.1',
      TESSERA_DATABASE_URL: pgUrl ?? '',
      TESSERA_DATABASE_SCHEMA: schema,
      TESSERA_REDIS_URL: redisUrl ?? '',
      TESSERA_REDIS_PREFIX: prefix,
      TESSERA_ADMIN_PASSWORD: 'two-process-admin-pw-6',
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_DATA_DIR: dataDir,
      TESSERA_CAPTCHA_AFTER_FAILURES: '2',
      TESSERA_LOCK_AFTER_FAILURES: '4',
      TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '9',
    };
    const a = new NodeProcess(env);
    const b = new NodeProcess(env);

    const post = async (base: string, path: string, body: object) => {
      const r = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6' },
        body: JSON.stringify(body),
      });
      return { status: r.status, error: ((await r.json()) as { error?: string }).error };
    };
    const login = (base: string, password: string, captcha?: string) =>
      post(base, '/api/public/auth/login', {
        username: 'sam',
        password,
        ...(captcha ? { captcha } : {}),
      });
    const solve = async (base: string) => {
      const c = (
        (await (await fetch(`${base}/api/public/captcha/challenge?purpose=login`)).json()) as {
          data: { challenge: Challenge };
        }
      ).data.challenge;
      return Buffer.from(
        JSON.stringify({
          challenge: c,
          solution: await solveChallenge({ challenge: c, deriveKey }),
        }),
      ).toString('base64');
    };

    beforeAll(async () => {
      ensureBuilt();
      await a.start();
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

    it('captcha, lock and IP budget hold across processes', async () => {
      const A = a.url('');
      const B = b.url('');
      expect(
        (
          await post(A, '/api/public/auth/register', {
            username: 'sam',
            email: 'sam@example.com',
            password: 'a-strong-passphrase',
          })
        ).status,
      ).toBe(201);
      expect((await login(A, 'wrong')).status).toBe(401); // attempt 1
      expect((await login(B, 'wrong')).status).toBe(401); // 2
      expect((await login(A, 'a-strong-passphrase')).error).toBe('CAPTCHA_REQUIRED'); // 3
      const sol = await solve(A);
      expect((await login(B, 'wrong', sol)).status).toBe(401); // 4: A's challenge verifies on B
      expect((await login(A, 'wrong', sol)).error).toBe('CAPTCHA_FAILED'); // 5: spent everywhere
      expect((await login(A, 'wrong', await solve(B))).status).toBe(401); // 6: fourth failure → lock
      expect((await login(B, 'a-strong-passphrase', await solve(A))).error).toBe('ACCOUNT_LOCKED'); // 7
      expect((await login(A, 'a-strong-passphrase', await solve(B))).error).toBe('ACCOUNT_LOCKED'); // 8
      expect((await login(B, 'wrong')).error).toBe('ACCOUNT_LOCKED'); // 9
      expect((await login(A, 'wrong')).error).toBe('RATE_LIMITED'); // 10th attempt from this IP
      expect((await login(B, 'wrong')).error).toBe('RATE_LIMITED');
    });
  },
);
