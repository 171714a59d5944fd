import { generateKeyPair } from 'node:crypto';

/** A freshly generated RSA key pair, serialised for storage. */
export interface KeyPairMaterial {
  /** SPKI PEM, handed to clients. */
  publicKeyPem: string;
  /** PKCS#8 DER. Secret. */
  privateKeyDer: Buffer;
}

export type KeyPairGenerator = (bits: number) => Promise<KeyPairMaterial>;

/**
 * Default generator: `crypto.generateKeyPair` (async) runs on a libuv
 * thread-pool thread, never on the event loop. Measured event-loop delay
 * during refill is in docs/decisions/0003-encrypted-login.md.
 */
const generateRsa: KeyPairGenerator = (bits) =>
  new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      },
      (err, publicKeyPem, privateKeyDer) =>
        err ? reject(err) : resolve({ publicKeyPem, privateKeyDer }),
    );
  });

export interface PoolOptions {
  /** Modulus bits: 2048 or 3072. */
  keySize: number;
  /** Pairs kept ready. @default 64 */
  capacity: number;
  /**
   * Generations in flight at once. Each one occupies a libuv thread (shared
   * with fs, dns and the argon2 password hashing), so keep it below
   * UV_THREADPOOL_SIZE (4). @default 1
   */
  concurrency?: number;
  /** Pairs `start()` waits for before resolving. @default min(capacity, 2) */
  warmup?: number;
  /** Injectable for tests. @default generateRsa */
  generate?: KeyPairGenerator;
  /** Wait after a failed generation before trying again. @default 1000 */
  retryMs?: number;
}

export interface PoolStats {
  size: number;
  capacity: number;
  inflight: number;
  generated: number;
  taken: number;
  /** take() calls that found the pool (below its reserve) empty. */
  misses: number;
  errors: number;
  /** Moving average of one generation, in ms (wall time). */
  avgGenerateMs: number;
}

export interface KeyPairPool {
  /** Starts refilling; resolves once `warmup` pairs are ready (or on close). */
  start(): Promise<void>;
  /** A pair, or undefined when no more than `reserve` are left. Never generates. */
  take(reserve?: number): KeyPairMaterial | undefined;
  /** Estimated ms until the next pair is ready (for Retry-After). */
  retryAfterMs(): number;
  stats(): PoolStats;
  /** Stops refilling, waits for in-flight generations, drops every pair. */
  close(): Promise<void>;
}

/**
 * A bounded pool of pre-generated key pairs, so that no key is generated on
 * the request path. Refill is promise-driven (no interval timer): every take
 * and every finished generation tops the pool up again.
 */
export function createKeyPairPool(opts: PoolOptions): KeyPairPool {
  const capacity = Math.max(1, opts.capacity);
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const warmup = Math.min(capacity, opts.warmup ?? 2);
  const generate = opts.generate ?? generateRsa;
  const retryMs = opts.retryMs ?? 1000;
  const ready: KeyPairMaterial[] = [];
  const inflight = new Set<Promise<void>>();
  const waiters: Array<() => void> = [];
  let started = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let avg = opts.keySize >= 3072 ? 600 : 200;
  const s = { generated: 0, taken: 0, misses: 0, errors: 0 };

  const wake = (): void => {
    if (closed || ready.length >= warmup) waiters.splice(0).forEach((w) => w());
  };

  const pump = (): void => {
    while (
      started &&
      !closed &&
      !retryTimer &&
      inflight.size < concurrency &&
      ready.length + inflight.size < capacity
    ) {
      const t0 = performance.now();
      const p: Promise<void> = generate(opts.keySize).then(
        (pair) => {
          avg = avg * 0.8 + (performance.now() - t0) * 0.2;
          s.generated++;
          if (closed) pair.privateKeyDer.fill(0);
          else ready.push(pair);
        },
        () => {
          s.errors++;
          if (!closed && !retryTimer) {
            retryTimer = setTimeout(() => {
              retryTimer = undefined;
              pump();
            }, retryMs);
            retryTimer.unref();
          }
        },
      );
      inflight.add(p);
      void p.finally(() => {
        inflight.delete(p);
        wake();
        pump();
      });
    }
  };

  return {
    start() {
      started = true;
      pump();
      if (closed || ready.length >= warmup) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    take(reserve = 0) {
      if (ready.length <= reserve) {
        s.misses++;
        return undefined;
      }
      s.taken++;
      const pair = ready.shift();
      pump();
      return pair;
    },
    retryAfterMs() {
      return Math.max(1000, Math.ceil(avg / concurrency));
    },
    stats: () => ({
      size: ready.length,
      capacity,
      inflight: inflight.size,
      ...s,
      avgGenerateMs: Math.round(avg),
    }),
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      wake();
      await Promise.allSettled([...inflight]);
      for (const p of ready.splice(0)) p.privateKeyDer.fill(0);
    },
  };
}
