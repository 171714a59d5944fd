import type { Clock } from '../../lib/clock.js';
import type { KeyInfo, KeyMode, KeyRecord, LoginKeyStore, PairRecord } from './store.js';

export interface MemoryStoreOptions {
  clock: Clock;
  /**
   * Most key ids (and, separately, session bindings) held at once. Beyond it
   * the oldest entry is dropped, so an attacker cannot grow memory without
   * bound; with one TTL for all entries, oldest = soonest to expire.
   * @default 100000 (one-time records are ~2 KB, shared ones ~200 B)
   */
  maxEntries?: number;
}

interface Entry<T> {
  value: T;
  deleteAt: number;
}

/**
 * A Map with a size cap and lazy expiry by the injected clock. Insertion
 * order is (nearly) expiry order, so sweeping from the front is enough and
 * needs no timer.
 */
class BoundedMap<T> {
  private readonly m = new Map<string, Entry<T>>();
  constructor(
    private readonly clock: Clock,
    private readonly max: number,
    private readonly onDrop: (v: T) => void = () => {},
  ) {}

  get size(): number {
    return this.m.size;
  }

  set(k: string, value: T, ttlMs: number): void {
    this.sweep();
    const old = this.m.get(k);
    if (old) {
      this.m.delete(k);
      this.onDrop(old.value);
    }
    while (this.m.size >= this.max) this.dropFirst();
    this.m.set(k, { value, deleteAt: this.clock.now() + ttlMs });
  }

  get(k: string): T | undefined {
    const e = this.m.get(k);
    if (!e) return undefined;
    if (e.deleteAt <= this.clock.now()) {
      this.m.delete(k);
      this.onDrop(e.value);
      return undefined;
    }
    return e.value;
  }

  take(k: string): T | undefined {
    const v = this.get(k);
    if (v !== undefined) this.m.delete(k);
    return v;
  }

  /** Drops expired entries from the front (at most 64 per call, amortised). */
  private sweep(): void {
    const now = this.clock.now();
    let n = 0;
    for (const [k, e] of this.m) {
      if (e.deleteAt > now || n++ >= 64) break;
      this.m.delete(k);
      this.onDrop(e.value);
    }
  }

  private dropFirst(): void {
    const first = this.m.entries().next();
    if (first.done) return;
    this.m.delete(first.value[0]);
    this.onDrop(first.value[1].value);
  }

  clear(): void {
    for (const e of this.m.values()) this.onDrop(e.value);
    this.m.clear();
  }
}

const wipe = (r: { privateKeyDer?: Buffer }): void => void r.privateKeyDer?.fill(0);

/**
 * The embedded default: login keys in process memory, bounded. Single node
 * only; a restart forgets every issued key (clients get KEY_NOT_FOUND and the
 * seed client retries with a fresh key). Take is atomic because JS is
 * single-threaded and nothing awaits between the read and the delete.
 */
export function createMemoryLoginKeyStore(
  opts: MemoryStoreOptions,
): LoginKeyStore & { clear(): void } {
  const max = opts.maxEntries ?? 100_000;
  const keys = new BoundedMap<KeyRecord>(opts.clock, max, wipe);
  const sessions = new BoundedMap<string>(opts.clock, max);
  // Pairs rotate every minute or so: a handful live at once.
  const pairs = new BoundedMap<PairRecord>(opts.clock, 1024, wipe);
  const info = (r: KeyRecord): KeyInfo => {
    const { privateKeyDer: _secret, ...rest } = r;
    return rest;
  };
  return {
    async putKey(keyId, rec, retainMs) {
      keys.set(keyId, rec, retainMs);
    },
    async takeKey(keyId) {
      return keys.take(keyId);
    },
    async bindSession(sessionHash, mode: KeyMode, keyId, ttlMs) {
      sessions.set(`${mode}:${sessionHash}`, keyId, ttlMs);
    },
    async sessionKey(sessionHash, mode) {
      const keyId = sessions.get(`${mode}:${sessionHash}`);
      const rec = keyId === undefined ? undefined : keys.get(keyId);
      return keyId !== undefined && rec ? { keyId, info: info(rec) } : undefined;
    },
    async putPair(pairId, rec, retainMs) {
      pairs.set(pairId, rec, retainMs);
    },
    async getPair(pairId) {
      return pairs.get(pairId);
    },
    size: () => ({ keys: keys.size, sessions: sessions.size, pairs: pairs.size }),
    clear() {
      keys.clear();
      sessions.clear();
      pairs.clear();
    },
  };
}
