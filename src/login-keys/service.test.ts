import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTesseraError } from '../lib/errors.js';
import { createRedis } from '../infra/redis.js';
import { ManualClock } from '../lib/clock.js';
import { createLimiterFactory, type LimiterFactory } from '../rate-limit/limiter.js';
import { createTestRedis, type TestRedis } from '../test-support/redis.js';
import { haveRedis } from '../test-support/services.js';
import {
  cyclingGenerator,
  fixturePairs,
  jsencrypt,
  randomB64,
  webcryptoOaep,
} from './clients.test.js';
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
async function errorOf(
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

const SECRET = 'test-secret-test-secret-test-secret!';
let pairs: KeyPairMaterial[] = [];
beforeAll(() => {
  pairs = fixturePairs(6);
});

function loginKeySuite(name: string, backend: () => Backend): void {
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
        generate: cyclingGenerator(pairs),
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

    it('decrypts a jsencrypt (PKCS#1 v1.5) password, the seed-001 client, incl. non-ASCII and emoji', async () => {
      const { svc } = await make();
      for (const pw of ['correct horse', 'pässwörd€', '密码🙂x']) {
        const k = await svc.issue({ ip: ip() });
        expect(k).toMatchObject({ algorithm: 'RSA', paddings: ['RSA1_5', 'RSA-OAEP-256'] });
        expect(k.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
        expect(k.expires_at).toBe(new ManualClock().now() + 300_000);
        expect(await svc.consume(k.key_id, jsencrypt(k.public_key, pw))).toEqual({
          ok: true,
          password: pw,
        });
      }
    });

    it('decrypts a WebCrypto RSA-OAEP-256 password on a one-time key', async () => {
      const { svc } = await make();
      const k = await svc.issue({ ip: ip() });
      expect(await svc.consume(k.key_id, await webcryptoOaep(k.public_key, 'pw-oaep'))).toEqual({
        ok: true,
        password: 'pw-oaep',
      });
    });

    it('replay of the same ciphertext and key id answers KEY_NOT_FOUND', async () => {
      const { svc } = await make();
      const k = await svc.issue({ ip: ip() });
      const ct = jsencrypt(k.public_key, 'pw');
      expect((await svc.consume(k.key_id, ct)).ok).toBe(true);
      expect(await errorOf(svc.consume(k.key_id, ct))).toMatchObject({
        code: 'KEY_NOT_FOUND',
        status: 401,
      });
    });

    it('an expired key answers KEY_EXPIRED, and is gone afterwards', async () => {
      const { svc, clock } = await make();
      const k = await svc.issue({ ip: ip() });
      const ct = jsencrypt(k.public_key, 'pw');
      clock.advance(300_000);
      expect(await errorOf(svc.consume(k.key_id, ct))).toMatchObject({
        code: 'KEY_EXPIRED',
        status: 401,
      });
      expect((await errorOf(svc.consume(k.key_id, ct))).code).toBe('KEY_NOT_FOUND');
    });

    it('unknown and malformed key ids answer KEY_NOT_FOUND', async () => {
      const { svc } = await make();
      for (const id of [
        'AAAAAAAAAAAAAAAAAAAAAAAA',
        'session_abc123_1641895200000',
        '',
        'x'.repeat(500),
        '../../etc',
      ]) {
        expect((await errorOf(svc.consume(id, randomB64(256)))).code).toBe('KEY_NOT_FOUND');
      }
    });

    it('50 concurrent consumes of one key: exactly one decryption (two instances when the store is shared)', async () => {
      const clock = new ManualClock();
      const { svc: a } = await make({ clock });
      const { svc: b } = await make({ clock, second: true });
      const k = await a.issue({ ip: ip() });
      const ct = jsencrypt(k.public_key, 'race');
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).consume(k.key_id, ct)),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok).toHaveLength(1);
      expect(ok[0]).toMatchObject({ value: { ok: true, password: 'race' } });
      for (const r of results)
        if (r.status === 'rejected')
          expect(isTesseraError(r.reason) && r.reason.code).toBe('KEY_NOT_FOUND');
      const decryptions = [a, b]
        .map((s) => s.stats().consumed)
        .reduce((t, c) => t + c.ok + c.undecryptable, 0);
      expect(decryptions).toBe(1);
    });

    it('garbage or wrong ciphertexts are { ok: false } (never a throw) and burn the key', async () => {
      const { svc } = await make();
      const other = pairs[5]?.publicKeyPem ?? '';
      const bad = [
        'not base64 !!',
        '',
        randomB64(255),
        randomB64(257),
        randomB64(256),
        Buffer.alloc(256, 0xff).toString('base64'), // >= n
        jsencrypt(other, 'pw'), // another key
        'A'.repeat(5000),
      ];
      for (const ct of bad) {
        const k = await svc.issue({ ip: ip() });
        expect(await svc.consume(k.key_id, ct)).toEqual({ ok: false });
        expect((await errorOf(svc.consume(k.key_id, jsencrypt(k.public_key, 'pw')))).code).toBe(
          'KEY_NOT_FOUND',
        );
      }
      expect(svc.stats().consumed.undecryptable).toBe(bad.length);
    });

    it('shared OAEP mode: label = key id, replay under another key id fails, no PKCS#1 v1.5', async () => {
      const { svc } = await make();
      const k1 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      const k2 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      expect(k1).toMatchObject({ paddings: ['RSA-OAEP-256'], label: k1.key_id });
      expect(k2.public_key).toBe(k1.public_key); // one pair, many key ids
      const ct1 = await webcryptoOaep(k1.public_key, 'pw1', k1.label);
      expect(await svc.consume(k2.key_id, ct1)).toEqual({ ok: false }); // captured ct under a fresh key id
      expect(await svc.consume(k1.key_id, ct1)).toEqual({ ok: true, password: 'pw1' });
      expect((await errorOf(svc.consume(k1.key_id, ct1))).code).toBe('KEY_NOT_FOUND');
      const k3 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      expect(await svc.consume(k3.key_id, jsencrypt(k3.public_key, 'pw'))).toEqual({ ok: false });
      const k4 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      expect(await svc.consume(k4.key_id, await webcryptoOaep(k4.public_key, 'pw'))).toEqual({
        ok: false,
      }); // no label
      expect(svc.stats().pool.taken).toBeGreaterThanOrEqual(1);
    });

    it('shared OAEP mode rotates the pair after the rotation period', async () => {
      const { svc, clock } = await make({ sharedRotateSeconds: 10 });
      const k1 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      clock.advance(10_000);
      const k2 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      expect(k2.public_key).not.toBe(k1.public_key);
      // A key id issued under the old pair still works until it expires.
      expect(
        await svc.consume(k1.key_id, await webcryptoOaep(k1.public_key, 'old', k1.key_id)),
      ).toEqual({ ok: true, password: 'old' });
    });

    it('a key issued by one instance is consumed by another sharing the store (both modes)', async () => {
      const clock = new ManualClock();
      const { svc: a } = await make({ clock });
      const { svc: b } = await make({ clock, second: true });
      const k = await a.issue({ ip: ip(), sessionId: 's-cross' });
      expect(await b.consume(k.key_id, jsencrypt(k.public_key, 'x'))).toEqual({
        ok: true,
        password: 'x',
      });
      const s = await a.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      expect(await b.consume(s.key_id, await webcryptoOaep(s.public_key, 'y', s.key_id))).toEqual({
        ok: true,
        password: 'y',
      });
    });

    it('the same session id gets its unused key back; a new one once used or nearly expired', async () => {
      const { svc, clock } = await make();
      const a1 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
      const a2 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
      const other = await svc.issue({ ip: ip(), sessionId: 'other-session' });
      expect(a2).toEqual(a1);
      expect(other.key_id).not.toBe(a1.key_id);
      expect(svc.stats().issued).toMatchObject({ oneTime: 2, reused: 1 });
      // The seed client re-fetches 30 s before expires_at: it must get a fresh key then.
      clock.advance(270_000);
      const a3 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
      expect(a3.key_id).not.toBe(a1.key_id);
      await svc.consume(a3.key_id, jsencrypt(a3.public_key, 'pw'));
      const a4 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
      expect(a4.key_id).not.toBe(a3.key_id);
      const s1 = await svc.issue({ ip: ip(), sessionId: 'sid', alg: 'RSA-OAEP-256' });
      expect(await svc.issue({ ip: ip(), sessionId: 'sid', alg: 'RSA-OAEP-256' })).toEqual(s1);
    });

    it('a key consumed with another session id answers KEY_NOT_FOUND (when the caller passes one)', async () => {
      const { svc } = await make();
      const k = await svc.issue({ ip: ip(), sessionId: 'mine' });
      expect(
        (
          await errorOf(
            svc.consume(k.key_id, jsencrypt(k.public_key, 'pw'), { sessionId: 'theirs' }),
          )
        ).code,
      ).toBe('KEY_NOT_FOUND');
      const k2 = await svc.issue({ ip: ip(), sessionId: 'mine' });
      expect(
        await svc.consume(k2.key_id, jsencrypt(k2.public_key, 'pw'), { sessionId: 'mine' }),
      ).toEqual({ ok: true, password: 'pw' });
    });

    it('rate limits per IP and per session id answer 429 with Retry-After', async () => {
      const { svc } = await make({ perIpPerMinute: 3, perSessionPerMinute: 2 });
      const addr = ip();
      for (let i = 0; i < 3; i++) await svc.issue({ ip: addr, alg: 'RSA-OAEP-256' });
      expect(await errorOf(svc.issue({ ip: addr, alg: 'RSA-OAEP-256' }))).toMatchObject({
        code: 'RATE_LIMITED',
        status: 429,
      });
      expect(Number((await errorOf(svc.issue({ ip: addr }))).retryAfter)).toBeGreaterThanOrEqual(1);
      await svc.issue({ ip: ip(), sessionId: 'busy' });
      await svc.issue({ ip: ip(), sessionId: 'busy' });
      expect(await errorOf(svc.issue({ ip: ip(), sessionId: 'busy' }))).toMatchObject({
        code: 'RATE_LIMITED',
        status: 429,
      });
    });

    it('an empty pool answers 503 UNAVAILABLE with Retry-After; never generates on the request path', async () => {
      const gen = cyclingGenerator(pairs, 2);
      const { svc } = await make({ poolSize: 2, generate: gen });
      await svc.issue({ ip: ip() });
      const callsBefore = gen.calls;
      const e = await errorOf(svc.issue({ ip: ip() }));
      expect(e).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
      expect(Number(e.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(gen.calls).toBe(callsBefore); // the request did not trigger a generation
      // The reserved pair still serves the shared OAEP mode.
      const s = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
      expect(s.paddings).toEqual(['RSA-OAEP-256']);
      expect(svc.stats().pool.misses).toBeGreaterThanOrEqual(1);
    });

    it('rejects a bad X-Session-Id or alg with VALIDATION_FAILED', async () => {
      const { svc } = await make();
      for (const sessionId of ['', 'x'.repeat(129), 'ünïcode', 'tab\t', 'nl\n']) {
        expect((await errorOf(svc.issue({ ip: ip(), sessionId }))).code).toBe('VALIDATION_FAILED');
      }
      expect((await errorOf(svc.issue({ ip: ip(), alg: 'RSA-OAEP' }))).code).toBe(
        'VALIDATION_FAILED',
      );
      expect(
        (await svc.issue({ ip: ip(), sessionId: 'x'.repeat(128), alg: 'RSA1_5' })).key_id,
      ).toHaveLength(24);
    });
  });
}

// One memory store per clock, so two instances built on one clock share it (one process = one store).
const memoryStores = new WeakMap<ManualClock, LoginKeyStore>();
loginKeySuite('memory', () => {
  const stores = memoryStores;
  return {
    store: (clock) => {
      const s = stores.get(clock) ?? createMemoryLoginKeyStore({ clock });
      stores.set(clock, s);
      return s;
    },
    limiters: createLimiterFactory(undefined, 'test:'),
  };
});

describe.skipIf(!haveRedis())('redis', () => {
  let tr: TestRedis;
  let second: Redis;
  beforeAll(async () => {
    tr = await createTestRedis('lk');
    second = createRedis(tr.url, 'test-lk-2');
  });
  afterAll(async () => {
    second?.disconnect();
    await tr?.cleanup();
  });

  loginKeySuite('redis', () => ({
    store: (_clock, isSecond) =>
      createRedisLoginKeyStore({
        redis: isSecond ? second : tr.redis,
        prefix: tr.prefix,
        secret: SECRET,
      }),
    limiters: createLimiterFactory(tr.redis, tr.prefix),
  }));

  it('private keys are sealed at rest; a node with another secret cannot open them', async () => {
    const clock = new ManualClock();
    const limiters = createLimiterFactory(tr.redis, tr.prefix);
    const base = {
      clock,
      limiters,
      ttlSeconds: 300,
      keySize: 2048 as const,
      poolSize: 2,
      generate: cyclingGenerator(pairs),
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
      const der = pairs.find((p) => p.publicKeyPem === k.public_key)?.privateKeyDer;
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
      generate: cyclingGenerator(pairs),
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
