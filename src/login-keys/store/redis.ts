import type { RedisClient } from '../../infra/redis.js';
import { createSealer } from './seal.js';
import type { KeyInfo, KeyMode, KeyRecord, LoginKeyStore, PairRecord } from './store.js';

export interface RedisStoreOptions {
  /** A connection owned by the caller (this store never closes it). */
  redis: RedisClient;
  /** Deployment prefix (config redisPrefix), e.g. `tessera:`. */
  prefix: string;
  /**
   * Server secret (>= 32 bytes) that every node shares. Private keys are
   * sealed with AES-256-GCM under a key derived from it before they are
   * written to Redis. Required: plaintext private keys in Redis are refused.
   */
  secret: string | Uint8Array;
}

/** Read-and-delete in one step. A Lua script rather than GETDEL so Redis < 6.2 works too. */
const TAKE =
  "local v = redis.call('GET', KEYS[1]) if v then redis.call('DEL', KEYS[1]) end return v";

interface Wire {
  m: KeyMode;
  exp: number;
  sh?: string;
  /** Tenant (absent = default). */
  t?: string;
  pub?: string;
  pair?: string;
  /** Sealed PKCS#8 DER (one-time keys). */
  sk?: string;
}

const isWire = (v: unknown): v is Wire =>
  typeof v === 'object' &&
  v !== null &&
  ((v as Wire).m === 'one-time' || (v as Wire).m === 'shared') &&
  typeof (v as Wire).exp === 'number';

/**
 * Login keys in Redis, shared by every node. Entries carry a Redis TTL
 * (PX), so nothing needs sweeping. `takeKey` is one atomic script, so of
 * many concurrent consumers on any nodes exactly one gets the record.
 */
export function createRedisLoginKeyStore(opts: RedisStoreOptions): LoginKeyStore {
  const { redis } = opts;
  const sealer = createSealer(opts.secret);
  const kKey = (id: string): string => `${opts.prefix}lk:k:${id}`;
  const kSess = (h: string, mode: KeyMode): string => `${opts.prefix}lk:s:${mode}:${h}`;
  const kPair = (id: string): string => `${opts.prefix}lk:p:${id}`;
  const ms = (n: number): number => Math.max(1, Math.ceil(n));

  const decode = (
    raw: string | null,
    redisKey: string,
    withSecret: boolean,
  ): KeyRecord | undefined => {
    if (raw === null) return undefined;
    const w: unknown = JSON.parse(raw);
    if (!isWire(w)) return undefined;
    const rec: KeyRecord = { mode: w.m, expiresAt: w.exp };
    if (w.sh !== undefined) rec.sessionHash = w.sh;
    if (typeof w.t === 'string') rec.tenant = w.t;
    if (w.pub !== undefined) rec.publicKeyPem = w.pub;
    if (w.pair !== undefined) rec.pairId = w.pair;
    if (withSecret && w.sk !== undefined) rec.privateKeyDer = sealer.open(w.sk, redisKey);
    return rec;
  };

  return {
    async putKey(keyId, rec, retainMs) {
      const k = kKey(keyId);
      const w: Wire = { m: rec.mode, exp: rec.expiresAt };
      if (rec.sessionHash !== undefined) w.sh = rec.sessionHash;
      if (rec.tenant !== undefined) w.t = rec.tenant;
      if (rec.publicKeyPem !== undefined) w.pub = rec.publicKeyPem;
      if (rec.pairId !== undefined) w.pair = rec.pairId;
      if (rec.privateKeyDer !== undefined) w.sk = sealer.seal(rec.privateKeyDer, k);
      await redis.set(k, JSON.stringify(w), 'PX', ms(retainMs));
    },
    async takeKey(keyId) {
      const k = kKey(keyId);
      const raw = (await redis.eval(TAKE, 1, k)) as string | null;
      return decode(raw, k, true);
    },
    async bindSession(sessionHash, mode, keyId, ttlMs) {
      await redis.set(kSess(sessionHash, mode), keyId, 'PX', ms(ttlMs));
    },
    async sessionKey(sessionHash, mode) {
      const keyId = await redis.get(kSess(sessionHash, mode));
      if (keyId === null) return undefined;
      const k = kKey(keyId);
      const rec = decode(await redis.get(k), k, false);
      if (!rec) return undefined;
      const info: KeyInfo = rec;
      return { keyId, info };
    },
    async putPair(pairId, rec, retainMs) {
      const k = kPair(pairId);
      const body = JSON.stringify({ pub: rec.publicKeyPem, sk: sealer.seal(rec.privateKeyDer, k) });
      await redis.set(k, body, 'PX', ms(retainMs));
    },
    async getPair(pairId): Promise<PairRecord | undefined> {
      const k = kPair(pairId);
      const raw = await redis.get(k);
      if (raw === null) return undefined;
      const w = JSON.parse(raw) as { pub?: unknown; sk?: unknown };
      if (typeof w.pub !== 'string' || typeof w.sk !== 'string') return undefined;
      return { publicKeyPem: w.pub, privateKeyDer: sealer.open(w.sk, k) };
    },
    size: () => undefined,
  };
}
