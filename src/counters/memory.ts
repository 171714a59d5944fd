import type { CounterStore, Entry, WindowResult } from './store.js';
import { windowRetryAfter } from './store.js';

/** Entries kept at most; beyond it the oldest are dropped (memory stays bounded under a flood of keys). */
const MAX_KEYS = 500_000;
/** Expired entries are swept every this many writes. */
const SWEEP_EVERY = 5_000;

interface Slot {
  /** Current window index, its count and the previous window's count. */
  w: number;
  c: number;
  p: number;
  exp: number;
}

/**
 * The embedded default: one process, plain Maps. Bounded: expired entries
 * are swept periodically and the oldest keys go first past MAX_KEYS.
 */
export function createMemoryCounters(maxKeys = MAX_KEYS): CounterStore {
  const values = new Map<string, Entry>();
  const windows = new Map<string, Slot>();
  const sets = new Map<string, { w: number; members: Set<string>; exp: number }>();
  let writes = 0;
  /** Latest caller time seen: the sweep follows the callers' clock, never Date.now(). */
  let latest = 0;

  function touch<V>(m: Map<string, V>, key: string, v: V, now: number): void {
    latest = Math.max(latest, now);
    m.delete(key);
    m.set(key, v);
    if (m.size > maxKeys) m.delete(m.keys().next().value as string);
    if (++writes % SWEEP_EVERY === 0) sweep(latest);
  }

  /** Drops expired entries. */
  function sweep(now: number): void {
    for (const [k, v] of values) if (v.expiresAt <= now) values.delete(k);
    for (const [k, v] of windows) if (v.exp <= now) windows.delete(k);
    for (const [k, v] of sets) if (v.exp <= now) sets.delete(k);
  }

  function live(key: string, now: number): Entry | undefined {
    const e = values.get(key);
    if (e && e.expiresAt <= now) {
      values.delete(key);
      return undefined;
    }
    return e;
  }

  return {
    async incr(key, ttlMs, now, by = 1) {
      const value = (live(key, now)?.value ?? 0) + by;
      touch(values, key, { value, expiresAt: now + ttlMs }, now);
      return value;
    },
    async peek(key, now) {
      const e = live(key, now);
      return e ? { ...e } : undefined;
    },
    async put(key, value, expiresAt, now) {
      if (expiresAt <= now) values.delete(key);
      else touch(values, key, { value, expiresAt }, now);
    },
    async del(...keys) {
      for (const k of keys) {
        values.delete(k);
        windows.delete(k);
        sets.delete(k);
      }
    },
    async admit(key, limit, windowMs, now): Promise<WindowResult> {
      const idx = Math.floor(now / windowMs);
      const s = windows.get(key) ?? { w: idx, c: 0, p: 0, exp: 0 };
      if (idx > s.w) {
        s.p = idx === s.w + 1 ? s.c : 0;
        s.c = 0;
        s.w = idx;
      }
      const start = s.w * windowMs;
      const f = Math.min(1, Math.max(0, (now - start) / windowMs));
      const est = s.p * (1 - f) + s.c;
      if (est + 1 > limit)
        return {
          admitted: false,
          count: est,
          retryAfterMs: windowRetryAfter(s.p, s.c, limit, start, windowMs, now),
        };
      s.c += 1;
      s.exp = start + 2 * windowMs;
      touch(windows, key, s, now);
      return { admitted: true, count: est + 1, retryAfterMs: 0 };
    },
    async addDistinct(key, member, windowMs, now) {
      const idx = Math.floor(now / windowMs);
      let s = sets.get(key);
      if (!s || s.w !== idx) s = { w: idx, members: new Set(), exp: (idx + 1) * windowMs };
      // A set never needs more members than any sane threshold; cap it.
      if (s.members.size < 10_000) s.members.add(member);
      touch(sets, key, s, now);
      return s.members.size;
    },
    async countDistinct(key, windowMs, now) {
      const s = sets.get(key);
      return s && s.w === Math.floor(now / windowMs) ? s.members.size : 0;
    },
    async claim(key, ttlMs, now) {
      if (live(key, now)) return false;
      touch(values, key, { value: 1, expiresAt: now + ttlMs }, now);
      return true;
    },
  };
}
