/**
 * Redis Cluster (issue 12 item 6, decision 0013): two in-process nodes on one
 * PostgreSQL schema reach OUR OWN Redis Cluster (three masters on loopback
 * ports, own-cluster.ts) through TESSERA_REDIS_CLUSTER_NODES, and every
 * Redis-backed behaviour works there: one-time login keys, brute-force
 * counters (with the DEL of several keys a good login makes), presence
 * scripts over every node's entries, per-IP limits (rate-limiter-flexible)
 * and revocations carried by pub/sub alone. A CROSSSLOT (keys of one command,
 * script or transaction in different slots) would fail the command: a 500 or
 * a rejected promise in these tests.
 *
 * Run: CI=true npx vitest run src/reliability/redis-cluster.test.ts
 */
import { constants, publicEncrypt } from 'node:crypto';
import { Cluster } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginFrom } from '../brute-force/brute-force.test-support.js';
import { createRedisPresenceStore } from '../presence/store/redis.js';
import { createLimiterFactory } from '../rate-limit/limiter.js';
import { OwnRedisCluster } from '../test-support/faults/own-cluster.js';
import { waitFor } from '../test-support/faults/shared.js';
import { haveTools } from '../test-support/faults/tools.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { havePostgres } from '../test-support/services.js';

const PW = 'a-strong-passphrase';
const IP = '198.51.100.9';

describe.skipIf(!haveTools('Redis Cluster suite', ['redis-cli']) || !havePostgres())(
  'Redis Cluster: two in-process nodes on three masters',
  () => {
    const cluster = new OwnRedisCluster();
    const prefix = 'rc:';
    let n1: TestServer;
    let n2: TestServer;

    beforeAll(async () => {
      await cluster.start();
      const config = {
        redisClusterNodes: cluster.nodeList,
        redisPrefix: prefix,
        // Only pub/sub can carry a revocation within the test's second.
        revocationPollMs: 60_000,
        captchaAfterFailures: 3,
        lockAfterFailures: 6,
      };
      n1 = await createTestServer({ dialect: 'postgres', config });
      n2 = await createTestServer({ dialect: 'postgres', config, join: n1.shared });
      await n1.register('cleo');
      await n1.register('dora');
    }, 60_000);
    afterAll(async () => {
      await n2?.close();
      await n1?.close();
      await cluster.destroy();
    });

    it('both nodes reach Redis through ioredis Cluster', () => {
      expect(n1.rt.redis).toBeInstanceOf(Cluster);
      expect(n2.rt.redis).toBeInstanceOf(Cluster);
    });

    it('a one-time login key issued by one node is taken once, by the other', async () => {
      const k = await n1.call('GET', '/api/public/auth/public-key');
      expect(k.statusCode, k.body).toBe(200);
      const { key_id, public_key } = k.data.data as { key_id: string; public_key: string };
      const body = {
        username: 'cleo',
        keyId: key_id,
        encryptedPassword: publicEncrypt(
          { key: public_key, padding: constants.RSA_PKCS1_PADDING },
          Buffer.from(PW),
        ).toString('base64'),
      };
      const first = await n2.call('POST', '/api/public/auth/login', { body });
      expect(first.statusCode, first.body).toBe(200);
      const again = await n1.call('POST', '/api/public/auth/login', { body });
      expect([again.statusCode, again.data.error]).toEqual([401, 'KEY_NOT_FOUND']);
    });

    it('brute-force counters add up across nodes, and a good login clears them', async () => {
      const nodes = [n1, n2];
      const wrong = (i: number) =>
        loginFrom(nodes[i % 2]!, IP, { username: 'cleo', password: 'wrong' });
      for (let i = 0; i < 2; i++) expect((await wrong(i)).status).toBe(401);
      // The good login deletes the account's failure counters (several keys, several slots).
      expect((await loginFrom(n2, IP, { username: 'cleo', password: PW })).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await wrong(i)).status).toBe(401);
      // 2 failures since the clear: no captcha yet; a third (on either node) makes 3.
      expect((await loginFrom(n1, IP, { username: 'cleo', password: PW })).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await wrong(i)).status).toBe(401);
      expect((await loginFrom(n2, IP, { username: 'cleo', password: PW })).body.error).toBe(
        'CAPTCHA_REQUIRED',
      );
    });

    it('presence scripts see every node’s entries (one hash-tagged slot)', async () => {
      const o = { prefix: `${prefix}p:`, ttlMs: 5_000 };
      const s1 = createRedisPresenceStore(n1.rt.redis!, { ...o, nodeId: 'one' });
      const s2 = createRedisPresenceStore(n2.rt.redis!, { ...o, nodeId: 'two' });
      const u = { user_id: '7', user_type: 'kefu', username: 'k7', since: 1 };
      expect(await s1.join(u)).toBe(true);
      expect(await s2.join({ ...u, since: 2 })).toBe(false); // online already, on node one
      expect((await s2.list()).map((x) => [x.user_id, x.since])).toEqual([['7', 1]]);
      expect(await s1.leave('7')).toBe(false); // still on node two
      expect(await s2.keepAlive([{ ...u, since: 2 }])).toEqual([]);
      expect(await s2.leave('7')).toBe(true);
      expect(await s1.list()).toEqual([]);
      await s1.close();
      await s2.close();
    });

    it('a per-IP limit (rate-limiter-flexible) is one budget across nodes', async () => {
      const spec = { name: 'rc-test', points: 3, durationSec: 60 };
      const l1 = createLimiterFactory(n1.rt.redis, prefix)(spec);
      const l2 = createLimiterFactory(n2.rt.redis, prefix)(spec);
      await l1.consume('k');
      await l2.consume('k');
      await l1.consume('k');
      await expect(l2.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
    });

    it('a logout on one node is refused on the other within 1 s, through pub/sub alone', async () => {
      const t = await n1.login('dora');
      const me = (n: TestServer) => n.call('GET', '/api/public/auth/me', { token: t.access_token });
      expect((await me(n2)).statusCode).toBe(200);
      expect(
        (await n1.call('POST', '/api/public/auth/logout', { token: t.access_token })).statusCode,
      ).toBe(200);
      const refused = await waitFor(async () => (await me(n2)).statusCode === 401, 1_000, 20);
      expect(refused, 'node 2 refuses the token within 1 s (SQL poll: 60 s)').toBe(true);
    });
  },
);
