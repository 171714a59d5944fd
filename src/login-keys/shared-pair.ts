import type { KeyObject } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import type { KeyPairPool } from './pool.js';
import { importPrivateKey } from './rsa.js';
import type { LoginKeyStore } from './store/store.js';

export interface SharedPairOptions {
  pool: KeyPairPool;
  store: LoginKeyStore;
  clock: Clock;
  /** A new pair is taken after this long… @default 60000 */
  rotateMs: number;
  /** …or after this many key ids. @default 10000 */
  maxUses: number;
  /** How long a key id issued under a pair may still be presented (TTL + retention). */
  keyRetainMs: number;
}

interface Current {
  pairId: string;
  publicKeyPem: string;
  createdAt: number;
  uses: number;
}

/**
 * The RSA-OAEP key pair shared by many key ids (opt-in mode). Rotation by
 * time and by use count bounds how long a private key lives (after its last
 * key id expires, recorded ciphertexts can no longer be decrypted) and how
 * many decryption attempts it sees. The pair comes from the pool, so it is
 * never generated on the request path; when the pool is empty the current
 * pair is kept up to 5 rotation periods before issuance fails.
 */
export class SharedPairs {
  private current: Current | undefined;
  private rotating: Promise<Current> | undefined;
  /** Private keys this node has used recently (its own and other nodes'). */
  private readonly cache = new Map<
    string,
    { key: KeyObject; publicKeyPem: string; dropAt: number }
  >();
  private readonly hardMaxMs: number;

  constructor(private readonly o: SharedPairOptions) {
    this.hardMaxMs = o.rotateMs * 5;
  }

  /** The pair to issue the next key id under; throws when none is available. */
  async acquire(unavailable: () => never): Promise<{ pairId: string; publicKeyPem: string }> {
    const now = this.o.clock.now();
    const c = this.current;
    if (c && now - c.createdAt < this.o.rotateMs && c.uses < this.o.maxUses) {
      c.uses++;
      return c;
    }
    this.rotating ??= this.rotate().finally(() => (this.rotating = undefined));
    const next = await this.rotating.catch(() => undefined);
    if (next) {
      next.uses++;
      return next;
    }
    if (c && now - c.createdAt < this.hardMaxMs && c.uses < this.o.maxUses * 5) {
      c.uses++;
      return c;
    }
    return unavailable();
  }

  private async rotate(): Promise<Current> {
    const pair = this.o.pool.take(0);
    if (!pair) throw new Error('pool empty');
    const pairId = randomId(12);
    // The pair outlives its issuance window by the retention of its last key id.
    await this.o.store.putPair(pairId, pair, this.hardMaxMs + this.o.keyRetainMs);
    const now = this.o.clock.now();
    this.remember(
      pairId,
      importPrivateKey(pair.privateKeyDer),
      pair.publicKeyPem,
      now + this.hardMaxMs + this.o.keyRetainMs,
    );
    this.current = { pairId, publicKeyPem: pair.publicKeyPem, createdAt: now, uses: 0 };
    return this.current;
  }

  /** The private key of a pair, from this node's cache or the store. */
  async privateKey(pairId: string): Promise<KeyObject | undefined> {
    const now = this.o.clock.now();
    const hit = this.cache.get(pairId);
    if (hit && hit.dropAt > now) return hit.key;
    const rec = await this.o.store.getPair(pairId);
    if (!rec) return undefined;
    const key = importPrivateKey(rec.privateKeyDer);
    this.remember(pairId, key, rec.publicKeyPem, now + this.o.rotateMs + this.o.keyRetainMs);
    return key;
  }

  /** Public PEM of a pair (for handing the same key id back to a session). */
  async publicKeyPem(pairId: string): Promise<string | undefined> {
    const hit = this.cache.get(pairId);
    if (hit) return hit.publicKeyPem;
    return (await this.o.store.getPair(pairId))?.publicKeyPem;
  }

  /** Cache bounded to 32 pairs; expired ones dropped first. */
  private remember(pairId: string, key: KeyObject, publicKeyPem: string, dropAt: number): void {
    const now = this.o.clock.now();
    for (const [id, e] of this.cache) if (e.dropAt <= now) this.cache.delete(id);
    while (this.cache.size >= 32) {
      const first = this.cache.keys().next();
      if (first.done) break;
      this.cache.delete(first.value);
    }
    this.cache.set(pairId, { key, publicKeyPem, dropAt });
  }

  info(): { pairId?: string; uses: number; ageMs: number; cached: number } {
    const c = this.current;
    return c
      ? {
          pairId: c.pairId,
          uses: c.uses,
          ageMs: this.o.clock.now() - c.createdAt,
          cached: this.cache.size,
        }
      : { uses: 0, ageMs: 0, cached: this.cache.size };
  }

  close(): void {
    this.current = undefined;
    this.cache.clear();
  }
}
