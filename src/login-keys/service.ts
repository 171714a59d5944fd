import { createHash, type KeyObject } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { outageOf } from '../infra/health.js';
import { fail, rateLimited, TesseraError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import type { LimiterFactory } from '../rate-limit/limiter.js';
import { createKeyPairPool, type KeyPairGenerator, type PoolStats } from './pool.js';
import {
  decodePassword,
  decryptOneTime,
  decryptSharedOaep,
  importPrivateKey,
  modulusBytes,
  parseCiphertext,
} from './rsa.js';
import { ALG_OAEP, ALG_ONE_TIME, KEY_ID_RE, SESSION_ID_RE, type PublicKeyData } from './schemas.js';
import { SharedPairs } from './shared-pair.js';
import type { KeyInfo, KeyMode, KeyRecord, LoginKeyStore } from './store/store.js';

export interface LoginKeyServiceOptions {
  store: LoginKeyStore;
  clock: Clock;
  limiters: LimiterFactory;
  /** Key lifetime (config rsaKeyTtl). @default 300 */
  ttlSeconds: number;
  /** Modulus bits (config rsaKeySize). @default 2048 */
  keySize: 2048 | 3072;
  /** Pre-generated pairs kept ready (config rsaKeyPoolSize). @default 64 */
  poolSize: number;
  /** Parallel generations (libuv threads used). @default 1 */
  poolConcurrency?: number;
  /** Issue requests per IP per minute (offices behind one NAT share it). @default 30 */
  perIpPerMinute?: number;
  /** Issue requests per session id per minute. @default 10 */
  perSessionPerMinute?: number;
  /** Shared OAEP pair rotation period. @default 60 */
  sharedRotateSeconds?: number;
  /** Shared OAEP pair rotation after this many key ids. @default 10000 */
  sharedMaxUses?: number;
  /** Tests only: replaces RSA key generation. */
  generate?: KeyPairGenerator;
}

export interface IssueRequest {
  /** X-Session-Id, if the client sent one. */
  sessionId?: string | undefined;
  /** Client IP (after trusted-proxy resolution). */
  ip: string;
  /** `?alg=`; undefined or RSA1_5 = one-time, RSA-OAEP-256 = shared OAEP. */
  alg?: string | undefined;
  /** The request's tenant (absent or `default`: the default tenant). */
  tenant?: string | undefined;
}

export type ConsumeResult = { ok: true; password: string } | { ok: false };

export interface LoginKeyStats {
  pool: PoolStats;
  issued: { oneTime: number; shared: number; reused: number };
  consumed: { ok: number; undecryptable: number; notFound: number; expired: number };
  shared: { pairId?: string; uses: number; ageMs: number; cached: number };
  store: { keys: number; sessions: number; pairs: number } | undefined;
}

export interface LoginKeyService {
  /** Starts the pool refill; resolves once a couple of pairs are ready. */
  start(): Promise<void>;
  /** @throws TesseraError VALIDATION_FAILED, RATE_LIMITED (429), UNAVAILABLE (503); both with Retry-After. */
  issue(req: IssueRequest): Promise<PublicKeyData>;
  /**
   * Takes the key (deleted whatever happens next) and decrypts. `{ok:false}`
   * must be answered exactly like a wrong password.
   * @throws TesseraError KEY_NOT_FOUND (unknown, used, or other session), KEY_EXPIRED
   */
  consume(
    keyId: string,
    encryptedPasswordB64: string,
    opts?: { sessionId?: string | undefined; tenant?: string | undefined },
  ): Promise<ConsumeResult>;
  stats(): LoginKeyStats;
  /** Stops the pool (waits for in-flight generations) and forgets cached keys. */
  close(): Promise<void>;
}

const hashSession = (sid: string): string => createHash('sha256').update(sid).digest('base64url');

/**
 * Encrypted login keys (seed 001): one-time RSA key pairs by default, shared
 * RSA-OAEP-256 pairs with the key id as label on opt-in. Framework-free; the
 * route maps TesseraErrors to responses. See docs/decisions/0003-encrypted-login.md.
 *
 * @example
 * const svc = createLoginKeyService({ store: createMemoryLoginKeyStore({ clock }), clock,
 *   limiters, ttlSeconds: 300, keySize: 2048, poolSize: 64 });
 * await svc.start();
 * const key = await svc.issue({ ip, sessionId: req.headers['x-session-id'], alg: req.query.alg });
 */
export function createLoginKeyService(o: LoginKeyServiceOptions): LoginKeyService {
  const ttlMs = o.ttlSeconds * 1000;
  // Records outlive their expiry by one TTL so KEY_EXPIRED can be told apart from KEY_NOT_FOUND.
  const retainMs = 2 * ttlMs;
  // Hand a session its unused key back only while the client still has time to use it
  // (the seed client re-fetches 30 s before expires_at and must then get a new key).
  const reuseMinMs = Math.min(60_000, ttlMs / 2);
  const pool = createKeyPairPool({
    keySize: o.keySize,
    capacity: o.poolSize,
    concurrency: o.poolConcurrency ?? 1,
    ...(o.generate ? { generate: o.generate } : {}),
  });
  const shared = new SharedPairs({
    pool,
    store: o.store,
    clock: o.clock,
    rotateMs: (o.sharedRotateSeconds ?? 60) * 1000,
    maxUses: o.sharedMaxUses ?? 10_000,
    keyRetainMs: retainMs,
  });
  const perIp = o.limiters({
    name: 'login-key-ip',
    points: o.perIpPerMinute ?? 30,
    durationSec: 60,
  });
  const perSession = o.limiters({
    name: 'login-key-session',
    points: o.perSessionPerMinute ?? 10,
    durationSec: 60,
  });
  const n = { oneTime: 0, shared: 0, reused: 0, ok: 0, undecryptable: 0, notFound: 0, expired: 0 };

  const limit = async (l: RateLimiterAbstract, key: string): Promise<void> => {
    try {
      await l.consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) rateLimited(e.msBeforeNext);
      fail('UNAVAILABLE', {
        logMessage: `login-keys rate limiter: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  };
  const unavailable = (): never => rateLimited(pool.retryAfterMs(), 'UNAVAILABLE');
  // Keep one pair in reserve for the shared pair's rotation (unless the pool holds only one).
  const reserve = o.poolSize > 1 ? 1 : 0;

  /**
   * Store failures (Redis down, a record sealed under another node's secret)
   * answer 503 with an operator-facing log message, not a 500 with a stack.
   * An outage (Redis unreachable, a Sentinel failover) goes to the error
   * handler as it is: 503 with Retry-After, counted by the health tracker.
   */
  const guard = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof TesseraError || outageOf(e)) throw e;
      fail('UNAVAILABLE', {
        logMessage: `login-keys ${what}: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  };

  const view = async (keyId: string, info: KeyInfo): Promise<PublicKeyData | undefined> => {
    const pem =
      info.mode === 'shared'
        ? info.pairId && (await shared.publicKeyPem(info.pairId))
        : info.publicKeyPem;
    if (!pem) return undefined;
    return info.mode === 'shared'
      ? {
          key_id: keyId,
          public_key: pem,
          expires_at: info.expiresAt,
          algorithm: 'RSA',
          paddings: [ALG_OAEP],
          label: keyId,
        }
      : {
          key_id: keyId,
          public_key: pem,
          expires_at: info.expiresAt,
          algorithm: 'RSA',
          paddings: [ALG_ONE_TIME, ALG_OAEP],
        };
  };

  const issue = async (req: IssueRequest): Promise<PublicKeyData> => {
    if (req.alg !== undefined && req.alg !== ALG_ONE_TIME && req.alg !== ALG_OAEP)
      fail('VALIDATION_FAILED', { detail: 'alg' });
    if (req.sessionId !== undefined && !SESSION_ID_RE.test(req.sessionId))
      fail('VALIDATION_FAILED', { detail: 'X-Session-Id' });
    const mode: KeyMode = req.alg === ALG_OAEP ? 'shared' : 'one-time';
    await limit(perIp, req.ip || 'unknown');
    const tenant = req.tenant === 'default' ? undefined : req.tenant;
    // A session id names a session per tenant: the same X-Session-Id in two tenants binds two keys.
    const sessionHash =
      req.sessionId === undefined
        ? undefined
        : hashSession(tenant ? `${tenant}\u0000${req.sessionId}` : req.sessionId);
    if (sessionHash) {
      await limit(perSession, sessionHash);
      const bound = await guard('session lookup', () => o.store.sessionKey(sessionHash, mode));
      if (bound && bound.info.expiresAt - o.clock.now() >= reuseMinMs) {
        const v = await guard('session lookup', () => view(bound.keyId, bound.info));
        if (v) {
          n.reused++;
          return v;
        }
      }
    }
    const keyId = randomId(18);
    const expiresAt = o.clock.now() + ttlMs;
    const rec: KeyRecord = {
      mode,
      expiresAt,
      ...(sessionHash ? { sessionHash } : {}),
      ...(tenant ? { tenant } : {}),
    };
    if (mode === 'one-time') {
      const pair = pool.take(reserve) ?? unavailable();
      rec.publicKeyPem = pair.publicKeyPem;
      rec.privateKeyDer = pair.privateKeyDer;
      n.oneTime++;
    } else {
      rec.pairId = (await shared.acquire(unavailable)).pairId;
      n.shared++;
    }
    await guard('put', async () => {
      await o.store.putKey(keyId, rec, retainMs);
      if (sessionHash) await o.store.bindSession(sessionHash, mode, keyId, ttlMs);
    });
    return (
      (await guard('view', () => view(keyId, rec))) ??
      fail('INTERNAL', { logMessage: 'login-keys: issued key has no public key' })
    );
  };

  const consume: LoginKeyService['consume'] = async (keyId, b64, opts) => {
    if (typeof keyId !== 'string' || !KEY_ID_RE.test(keyId)) {
      n.notFound++;
      fail('KEY_NOT_FOUND');
    }
    const rec = await guard('take', () => o.store.takeKey(keyId));
    const tenant = opts?.tenant === 'default' ? undefined : opts?.tenant;
    if (
      !rec ||
      // Issued in another tenant: unknown here (and gone, like any key presented once).
      rec.tenant !== tenant ||
      (opts?.sessionId !== undefined &&
        rec.sessionHash !== undefined &&
        rec.sessionHash !==
          hashSession(tenant ? `${tenant}\u0000${opts.sessionId}` : opts.sessionId))
    ) {
      rec?.privateKeyDer?.fill(0);
      n.notFound++;
      fail('KEY_NOT_FOUND');
    }
    if (o.clock.now() >= rec.expiresAt) {
      rec.privateKeyDer?.fill(0);
      n.expired++;
      fail('KEY_EXPIRED');
    }
    let msg: Buffer | undefined;
    if (rec.mode === 'one-time') {
      const der =
        rec.privateKeyDer ??
        fail('INTERNAL', { logMessage: 'login-keys: one-time record without key' });
      const key: KeyObject = importPrivateKey(der);
      der.fill(0);
      msg = decryptOneTime(key, parseCiphertext(b64, modulusBytes(key)));
    } else {
      const pairId = rec.pairId;
      const key = pairId ? await guard('pair', () => shared.privateKey(pairId)) : undefined;
      // The pair is kept longer than any key id issued under it; missing = store lost it.
      if (!key) fail('KEY_NOT_FOUND', { logMessage: 'login-keys: shared pair missing' });
      msg = decryptSharedOaep(
        key,
        parseCiphertext(b64, modulusBytes(key)),
        Buffer.from(keyId, 'utf8'),
      );
    }
    const password = msg && decodePassword(msg);
    if (password === undefined) {
      n.undecryptable++;
      return { ok: false };
    }
    n.ok++;
    return { ok: true, password };
  };

  return {
    start: () => pool.start(),
    issue,
    consume,
    stats: () => ({
      pool: pool.stats(),
      issued: { oneTime: n.oneTime, shared: n.shared, reused: n.reused },
      consumed: {
        ok: n.ok,
        undecryptable: n.undecryptable,
        notFound: n.notFound,
        expired: n.expired,
      },
      shared: shared.info(),
      store: o.store.size(),
    }),
    async close() {
      shared.close();
      await pool.close();
    },
  };
}
