/**
 * The login-key service and its store: private keys sealed at rest in Redis
 * (another secret cannot open them), and a store that fails answering 503.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createLimiterFactory } from '../rate-limit/limiter.js';
import { haveRedis } from '../test-support/services.js';
import { cyclingGenerator, jsencrypt, randomB64 } from './clients.test.js';
import { createLoginKeyService } from './service.js';
import { errorOf, SECRET, useFixturePairs, useTestRedis } from './service.test-support.js';
import { createMemoryLoginKeyStore } from './store/memory.js';
import { createRedisLoginKeyStore } from './store/redis.js';
import type { LoginKeyStore } from './store/store.js';

const pairs = useFixturePairs();

describe.skipIf(!haveRedis())('redis', () => {
  const fx = useTestRedis();

  it('private keys are sealed at rest; a node with another secret cannot open them', async () => {
    const clock = new ManualClock();
    const { tr, second } = fx;
    const limiters = createLimiterFactory(tr.redis, tr.prefix);
    const base = {
      clock,
      limiters,
      ttlSeconds: 300,
      keySize: 2048 as const,
      poolSize: 2,
      generate: cyclingGenerator(pairs()),
    };
    const a = createLoginKeyService({
      ...base,
      store: createRedisLoginKeyStore({ redis: tr.redis, prefix: tr.prefix, secret: SECRET }),
    });
    const b = createLoginKeyService({
      ...base,
      store: createRedisLoginKeyStore({
        redis: second,
        prefix: tr.prefix,
        secret: `${SECRET}-other`,
      }),
    });
    try {
      await a.start();
      const k = await a.issue({ ip: '10.9.9.9' });
      const raw = await tr.redis.get(`${tr.prefix}lk:k:${k.key_id}`);
      const der = pairs().find((p) => p.publicKeyPem === k.public_key)?.privateKeyDer;
      expect(raw).toBeTruthy();
      expect(raw).not.toContain(der?.subarray(0, 64).toString('base64').slice(0, 40));
      expect(JSON.parse(raw ?? '{}')).toHaveProperty('sk');
      expect((await errorOf(b.consume(k.key_id, jsencrypt(k.public_key, 'pw')))).code).toBe(
        'UNAVAILABLE',
      );
      expect(() =>
        createRedisLoginKeyStore({ redis: tr.redis, prefix: tr.prefix, secret: 'short' }),
      ).toThrow(/32 bytes/);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('login keys when the store fails', () => {
  it('answers 503 UNAVAILABLE (not a 500) when the store throws', async () => {
    const clock = new ManualClock();
    const inner = createMemoryLoginKeyStore({ clock });
    const broken: LoginKeyStore = {
      ...inner,
      takeKey: () => Promise.reject(new Error('connection lost')),
      putKey: () => Promise.reject(new Error('connection lost')),
    };
    const svc = createLoginKeyService({
      store: broken,
      clock,
      limiters: createLimiterFactory(undefined, 'test:'),
      ttlSeconds: 300,
      keySize: 2048,
      poolSize: 3,
      generate: cyclingGenerator(pairs()),
    });
    try {
      await svc.start();
      expect(await errorOf(svc.issue({ ip: '10.1.1.1' }))).toMatchObject({
        code: 'UNAVAILABLE',
        status: 503,
      });
      expect(await errorOf(svc.consume('AAAAAAAAAAAAAAAAAAAAAAAA', randomB64(256)))).toMatchObject({
        code: 'UNAVAILABLE',
        status: 503,
      });
    } finally {
      await svc.close();
    }
  });
});
