/**
 * Issue 6 with the shared stores: two nodes on one PostgreSQL schema and one
 * Redis prefix share every counter, lock and used-captcha record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { havePostgres, haveRedis } from '../test-support/services.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { loginFrom, solveCaptcha } from './brute-force.test-support.js';

const PW = 'a-strong-passphrase';
const A = '198.51.100.7';

describe.runIf(havePostgres() && haveRedis())('two nodes sharing Redis counters', () => {
  const clock = new ManualClock();
  let n1: TestServer;
  let n2: TestServer;
  beforeAll(async () => {
    n1 = await createTestServer({
      dialect: 'postgres',
      redis: true,
      clock,
      config: { captchaAfterFailures: 3, lockAfterFailures: 6 },
    });
    n2 = await createTestServer({
      dialect: 'postgres',
      redis: true,
      clock,
      join: n1.shared,
      config: { captchaAfterFailures: 3, lockAfterFailures: 6 },
    });
    await n1.register('mia');
  });
  afterAll(async () => {
    await n2?.close();
    await n1?.close();
  });

  async function setting(patch: Record<string, unknown>) {
    await n1.rt.settings.update(patch);
    await n2.rt.settings.reload();
  }

  it('uses the Redis counter store and one shared ALTCHA key', async () => {
    expect(n1.rt.features.bruteForce!.store).not.toBe(n2.rt.features.bruteForce!.store);
    await setting({ captchaAfterFailures: 0 });
    // A challenge from node 1 verifies on node 2: same key from the database...
    const sol = await solveCaptcha(n1);
    expect((await loginFrom(n2, A, { username: 'mia', password: PW, captcha: sol })).status).toBe(
      200,
    );
    // ...and once spent there, it is spent everywhere.
    expect(
      (await loginFrom(n1, A, { username: 'mia', password: PW, captcha: sol })).body.error,
    ).toBe('CAPTCHA_FAILED');
    await setting({ captchaAfterFailures: 3 });
  });

  it('failures on either node add up: captcha after 3, lock after 6, seen by both', async () => {
    const nodes = [n1, n2];
    for (let i = 0; i < 3; i++)
      expect(
        (await loginFrom(nodes[i % 2]!, A, { username: 'mia', password: 'wrong' })).status,
      ).toBe(401);
    expect((await loginFrom(n1, A, { username: 'mia', password: PW })).body.error).toBe(
      'CAPTCHA_REQUIRED',
    );
    for (let i = 3; i < 6; i++)
      expect(
        (
          await loginFrom(nodes[i % 2]!, A, {
            username: 'mia',
            password: 'wrong',
            captcha: await solveCaptcha(nodes[(i + 1) % 2]!),
          })
        ).status,
      ).toBe(401);
    for (const n of nodes) {
      const r = await loginFrom(n, A, {
        username: 'mia',
        password: PW,
        captcha: await solveCaptcha(n),
      });
      expect([r.status, r.headers['retry-after']]).toEqual([423, '900']);
    }
    clock.advance(900_000);
    expect(
      (await loginFrom(n2, A, { username: 'mia', password: PW, captcha: await solveCaptcha(n1) }))
        .status,
    ).toBe(200);
  });

  it('an unlock on one node frees the account on the other', async () => {
    for (let i = 0; i < 6; i++)
      await loginFrom(n1, A, {
        username: 'mia',
        password: 'wrong',
        captcha: i >= 3 ? await solveCaptcha(n1) : undefined,
      });
    expect((await loginFrom(n2, A, { username: 'mia', password: PW })).status).toBe(423);
    const id = (await n1.rt.users.byLoginName('mia'))!.id;
    expect(
      (await n1.call('POST', `/api/admin/users/${id}/unlock`, { token: await n1.adminToken() }))
        .statusCode,
    ).toBe(200);
    expect((await loginFrom(n2, A, { username: 'mia', password: PW })).status).toBe(200);
  });

  it('the per-IP hourly budget is one budget across nodes', async () => {
    await setting({ loginAttemptsPerIpPerHour: 10 });
    const ip = '192.0.2.77';
    for (let i = 0; i < 10; i++)
      expect((await loginFrom(i % 2 ? n2 : n1, ip, { username: 'mia', password: PW })).status).toBe(
        200,
      );
    expect((await loginFrom(n1, ip, { username: 'mia', password: PW })).status).toBe(429);
    expect(
      (
        await loginFrom(
          n2,
          ip,
          { username: 'mia', password: PW },
          { 'x-forwarded-for': '10.1.1.1' },
        )
      ).status,
    ).toBe(429);
  });
});
