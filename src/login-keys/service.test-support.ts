/**
 * What the login-key service tests share: real fixture key pairs (once per
 * file), a service factory that closes what it opened after each test, and
 * `onEveryStore`, which runs a set of tests on the memory store and on the
 * Redis store (two instances on one store where a test asks for `second`).
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { createRedis } from '../infra/redis.js';
import { ManualClock } from '../lib/clock.js';
import { isTesseraError } from '../lib/errors.js';
import { createLimiterFactory, type LimiterFactory } from '../rate-limit/limiter.js';
import { createTestRedis, type TestRedis } from '../test-support/redis.js';
import { haveRedis } from '../test-support/services.js';
import { cyclingGenerator, fixturePairs } from './clients.test.js';
import type { KeyPairMaterial } from './pool.js';
import {
  createLoginKeyService,
  type LoginKeyService,
  type LoginKeyServiceOptions,
} from './service.js';
import { createMemoryLoginKeyStore } from './store/memory.js';
import { createRedisLoginKeyStore } from './store/redis.js';
import type { LoginKeyStore } from './store/store.js';

/** Resolves to the TesseraError code (and retry-after) a promise rejects with. */
export async function errorOf(
  p: Promise<unknown>,
): Promise<{ code: string; status: number; retryAfter?: string | undefined }> {
  try {
    await p;
  } catch (e) {
    if (isTesseraError(e))
      return { code: e.code, status: e.status, retryAfter: e.opts.headers?.['retry-after'] };
    throw e;
  }
  throw new Error('expected a TesseraError');
}

interface Backend {
  /** A store; `second` = another instance (another connection) on the same data. */
  store(clock: ManualClock, second?: boolean): LoginKeyStore;
  limiters: LimiterFactory;
}

export const SECRET = 'test-secret-test-secret-test-secret!';

/** The fixture pairs, generated in a top-level beforeAll of the calling file. */
export function useFixturePairs(): () => KeyPairMaterial[] {
  let pairs: KeyPairMaterial[] = [];
  beforeAll(() => {
    pairs = fixturePairs(6);
  });
  return () => pairs;
}

/** A test Redis and a second connection to it, for the enclosing describe block. */
export function useTestRedis(): { tr: TestRedis; second: Redis } {
  const fx = {} as { tr: TestRedis; second: Redis };
  beforeAll(async () => {
    fx.tr = await createTestRedis('lk');
    fx.second = createRedis(fx.tr.url, 'test-lk-2');
  });
  afterAll(async () => {
    fx.second?.disconnect();
    await fx.tr?.cleanup();
  });
  return fx;
}

export interface SuiteTools {
  /** A started service on the suite's store; `second` = on another instance of the store. */
  make(
    opts?: Partial<LoginKeyServiceOptions> & { clock?: ManualClock; second?: boolean },
  ): Promise<{ svc: LoginKeyService; clock: ManualClock }>;
  /** A random client address. */
  ip(): string;
}

function loginKeySuite(
  name: string,
  pairs: () => KeyPairMaterial[],
  backend: () => Backend,
  tests: (t: SuiteTools) => void,
): void {
  describe(`login keys (${name} store)`, () => {
    const open: LoginKeyService[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    async function make(
      opts: Partial<LoginKeyServiceOptions> & { clock?: ManualClock; second?: boolean } = {},
    ) {
      const clock = opts.clock ?? new ManualClock();
      const b = backend();
      const svc = createLoginKeyService({
        store: b.store(clock, opts.second),
        clock,
        limiters: b.limiters,
        ttlSeconds: 300,
        keySize: 2048,
        poolSize: 4,
        generate: cyclingGenerator(pairs()),
        perIpPerMinute: 1000,
        perSessionPerMinute: 1000,
        ...opts,
      });
      open.push(svc);
      await svc.start();
      return { svc, clock };
    }
    const ip = (): string =>
      `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

    tests({ make, ip });
  });
}

// One memory store per clock, so two instances built on one clock share it (one process = one store).
const memoryStores = new WeakMap<ManualClock, LoginKeyStore>();

/** Declares `tests` on the memory store, then (when Redis is there) inside `redis` on the Redis store. */
export function onEveryStore(pairs: () => KeyPairMaterial[], tests: (t: SuiteTools) => void): void {
  loginKeySuite(
    'memory',
    pairs,
    () => {
      const stores = memoryStores;
      return {
        store: (clock) => {
          const s = stores.get(clock) ?? createMemoryLoginKeyStore({ clock });
          stores.set(clock, s);
          return s;
        },
        limiters: createLimiterFactory(undefined, 'test:'),
      };
    },
    tests,
  );

  describe.skipIf(!haveRedis())('redis', () => {
    const fx = useTestRedis();
    loginKeySuite(
      'redis',
      pairs,
      () => ({
        store: (_clock, isSecond) =>
          createRedisLoginKeyStore({
            redis: isSecond ? fx.second : fx.tr.redis,
            prefix: fx.tr.prefix,
            secret: SECRET,
          }),
        limiters: createLimiterFactory(fx.tr.redis, fx.tr.prefix),
      }),
      tests,
    );
  });
}
