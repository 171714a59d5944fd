/**
 * Where issued login keys live between `public-key` and `login`.
 *
 * Two backends: process memory (the embedded default, bounded) and Redis
 * (shared by every node; a key issued by one node can be consumed on any
 * other, and `takeKey` is atomic so a key is never used twice).
 * Times are epoch milliseconds read from the service's Clock.
 */

/** `one-time`: the key id owns its key pair. `shared`: RSA-OAEP, pair shared by many key ids. */
export type KeyMode = 'one-time' | 'shared';

/** The public part of an issued key id. */
export interface KeyInfo {
  mode: KeyMode;
  /** When the key stops being accepted (KEY_EXPIRED after). */
  expiresAt: number;
  /** SHA-256 of the session id it was issued to, if any. */
  sessionHash?: string;
  /** The tenant it was issued in; absent = default. A key works only in its tenant. */
  tenant?: string;
  /** One-time keys: the SPKI PEM handed out. */
  publicKeyPem?: string;
  /** Shared keys: the pair id. */
  pairId?: string;
}

/** A full record, as returned by the atomic take. */
export interface KeyRecord extends KeyInfo {
  /** One-time keys: PKCS#8 DER private key. Secret. */
  privateKeyDer?: Buffer;
}

/** A shared RSA-OAEP key pair. */
export interface PairRecord {
  publicKeyPem: string;
  privateKeyDer: Buffer;
}

export interface LoginKeyStore {
  /** Stores a key id for `retainMs` (longer than its TTL so KEY_EXPIRED can be told apart). */
  putKey(keyId: string, rec: KeyRecord, retainMs: number): Promise<void>;
  /** Atomically reads and deletes. Concurrent takes of one id: exactly one gets it. */
  takeKey(keyId: string): Promise<KeyRecord | undefined>;
  /** Points a session binding at a key id for `ttlMs`. */
  bindSession(sessionHash: string, mode: KeyMode, keyId: string, ttlMs: number): Promise<void>;
  /** The key id bound to the session (if it still exists, unused) with its public info. */
  sessionKey(
    sessionHash: string,
    mode: KeyMode,
  ): Promise<{ keyId: string; info: KeyInfo } | undefined>;
  putPair(pairId: string, rec: PairRecord, retainMs: number): Promise<void>;
  getPair(pairId: string): Promise<PairRecord | undefined>;
  /** Entry counts, for stats (memory store only; Redis returns undefined). */
  size(): { keys: number; sessions: number; pairs: number } | undefined;
}
