/**
 * Clock-driven counters for the brute-force policy. Every call takes `now`
 * from the injectable Clock (tests move time instead of sleeping), so expiry
 * is decided by the caller's time, never by the backend's: the memory backend
 * keeps expiry instants, the Redis backend compares them inside Lua scripts
 * (Redis TTLs are only garbage collection there).
 *
 * Two backends with one contract (counters/contract.test.ts): memory for the
 * embedded single node, Redis (atomic scripts, shared by every node) when
 * Redis is configured.
 */
export interface Entry {
  value: number;
  /** Epoch ms after which the entry no longer exists. */
  expiresAt: number;
}

export interface WindowResult {
  admitted: boolean;
  /** Sliding-window estimate after this call (the admitted hit included). */
  count: number;
  /** When refused: ms until an attempt would be admitted again. */
  retryAfterMs: number;
}

export interface CounterStore {
  /** Adds `by` to a counter that lives `ttlMs` after its last change; returns the new value. */
  incr(key: string, ttlMs: number, now: number, by?: number): Promise<number>;
  /** The live entry, or undefined. */
  peek(key: string, now: number): Promise<Entry | undefined>;
  /** Writes a value that lives until `expiresAt`. */
  put(key: string, value: number, expiresAt: number, now: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /**
   * Sliding-window limiter (two fixed windows, the previous one weighted by
   * how much of it still overlaps the last `windowMs`). Admits and counts the
   * hit only while the estimate plus this hit stays within `limit`: refused hits do not count,
   * so Retry-After is a fixed point in time, not a moving target.
   */
  admit(key: string, limit: number, windowMs: number, now: number): Promise<WindowResult>;
  /** Adds `member` to the set of the current fixed window; returns the set's size. */
  addDistinct(key: string, member: string, windowMs: number, now: number): Promise<number>;
  /** Size of the current fixed window's set. */
  countDistinct(key: string, windowMs: number, now: number): Promise<number>;
  /** True for the first caller only, until `ttlMs` has passed (replay guard, once-per-window alerts). */
  claim(key: string, ttlMs: number, now: number): Promise<boolean>;
  close?(): Promise<void> | void;
}

/**
 * Delay until one more hit fits: the estimate `prev * (1 - f) + cur`, f the
 * elapsed fraction of the current window, must drop to `limit - 1`.
 */
export function windowRetryAfter(
  prev: number,
  cur: number,
  limit: number,
  windowStart: number,
  windowMs: number,
  now: number,
): number {
  const room = limit - 1;
  const end = windowStart + windowMs;
  if (cur > room) {
    // Wait for the next window, then until this window's weight has decayed enough.
    return Math.max(1, Math.ceil(end - now + windowMs * (1 - room / cur)) + 1);
  }
  if (prev <= 0) return 1;
  const f = 1 - (room - cur) / prev;
  return Math.max(1, Math.ceil(windowStart + windowMs * f - now) + 1);
}
