import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '../test-support/redis.js';
import { haveRedis } from '../test-support/services.js';
import { createMemoryCounters } from './memory.js';
import { createRedisCounters } from './redis.js';
import type { CounterStore } from './store.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const HOUR = 3_600_000;

/** One contract, both backends: the memory store is the embedded default, not a mock. */
function contract(name: string, make: () => CounterStore) {
  describe(`counter store: ${name}`, () => {
    let s: CounterStore;
    let n = 0;
    const key = (t: string) => `${t}:${++n}`;
    beforeAll(() => {
      s = make();
    });

    it('counts, expires by the caller clock, and deletes', async () => {
      const k = key('c');
      expect(await s.incr(k, 1000, T0)).toBe(1);
      expect(await s.incr(k, 1000, T0 + 500)).toBe(2);
      expect((await s.peek(k, T0 + 1499))?.value).toBe(2);
      expect(await s.peek(k, T0 + 1500)).toBeUndefined();
      expect(await s.incr(k, 1000, T0 + 1500)).toBe(1);
      await s.del(k);
      expect(await s.peek(k, T0 + 1500)).toBeUndefined();
    });

    it('puts values with an absolute expiry', async () => {
      const k = key('p');
      await s.put(k, 42, T0 + 900_000, T0);
      expect(await s.peek(k, T0 + 899_999)).toEqual({ value: 42, expiresAt: T0 + 900_000 });
      expect(await s.peek(k, T0 + 900_000)).toBeUndefined();
    });

    it('admits up to the limit per sliding window, refused hits do not count', async () => {
      const k = key('w');
      for (let i = 0; i < 100; i++)
        expect((await s.admit(k, 100, HOUR, T0 + i)).admitted).toBe(true);
      const r = await s.admit(k, 100, HOUR, T0 + 1000);
      expect(r.admitted).toBe(false);
      expect(r.retryAfterMs).toBeGreaterThan(HOUR - 1000);
      // The window ends, then its weight must decay by one hit (1%).
      expect(r.retryAfterMs).toBeLessThanOrEqual(HOUR + HOUR / 100 + 2);
      // Still refused just before Retry-After, admitted right after it.
      expect((await s.admit(k, 100, HOUR, T0 + 1000 + r.retryAfterMs - 5)).admitted).toBe(false);
      expect((await s.admit(k, 100, HOUR, T0 + 1000 + r.retryAfterMs)).admitted).toBe(true);
    });

    it('weights the previous window (no double burst at a boundary)', async () => {
      const k = key('b');
      const late = T0 + HOUR - 60_000;
      for (let i = 0; i < 10; i++) expect((await s.admit(k, 10, HOUR, late)).admitted).toBe(true);
      // One minute into the next window the previous one still weighs ~98%.
      expect((await s.admit(k, 10, HOUR, T0 + HOUR + 60_000)).admitted).toBe(false);
      expect((await s.admit(k, 10, HOUR, T0 + 2 * HOUR)).admitted).toBe(true);
    });

    it('counts distinct members per window', async () => {
      const k = key('d');
      expect(await s.addDistinct(k, 'a', HOUR, T0)).toBe(1);
      expect(await s.addDistinct(k, 'a', HOUR, T0 + 1)).toBe(1);
      expect(await s.addDistinct(k, 'b', HOUR, T0 + 2)).toBe(2);
      expect(await s.countDistinct(k, HOUR, T0 + 3)).toBe(2);
      expect(await s.countDistinct(k, HOUR, T0 + HOUR)).toBe(0);
    });

    it('claims once until the ttl passes', async () => {
      const k = key('o');
      const all = await Promise.all([1, 2, 3, 4].map(() => s.claim(k, 1000, T0)));
      expect(all.filter(Boolean)).toHaveLength(1);
      expect(await s.claim(k, 1000, T0 + 999)).toBe(false);
      expect(await s.claim(k, 1000, T0 + 1000)).toBe(true);
    });
  });
}

contract('memory', () => createMemoryCounters());

describe.runIf(haveRedis())('redis', () => {
  let r: TestRedis;
  beforeAll(async () => {
    r = await createTestRedis('ctr');
  });
  afterAll(async () => r?.cleanup());
  contract('redis', () => createRedisCounters(r.redis, r.prefix));
});
