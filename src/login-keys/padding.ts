import { createHash } from 'node:crypto';

/**
 * Software unpadding of a raw RSA decryption result `EM` (k bytes, as
 * returned by `privateDecrypt` with `RSA_NO_PADDING`).
 *
 * Why in software: Node 20 refuses PKCS#1 v1.5 in `privateDecrypt`
 * (CVE-2023-46809, Marvin). We only unpad v1.5 for one-time keys, where an
 * attacker gets a single decryption attempt per key pair, so no padding
 * oracle exists whatever the timing (docs/decisions/0003-encrypted-login.md).
 * Still, as defence in depth, the checks below have no data-dependent
 * branches or early exits: every byte is visited and validity is folded into
 * 0/1 integers. JavaScript gives no hard constant-time guarantee; the
 * one-time keys are the real defence.
 */

/** 1 when x (a byte) is 0, else 0; no branch. */
const isZero = (x: number): number => 1 ^ ((x | -x) >>> 31);
/** 1 when bytes a and b are equal, else 0. */
const eq = (a: number, b: number): number => isZero((a ^ b) & 0xff);
/** mask (0/1) ? a : b, without a branch. */
const select = (mask: number, a: number, b: number): number => b ^ (-mask & (a ^ b));
/** 1 when a >= b for non-negative 31-bit ints. */
const gte = (a: number, b: number): number => 1 ^ (((a - b) >>> 31) & 1);

export interface Unpadded {
  /** 1 when the padding is valid, else 0. */
  good: number;
  /** Offset of the message inside the buffer it was decoded from. */
  start: number;
}

/**
 * RFC 8017 §7.2.2 EME-PKCS1-v1_5 decoding: `00 02 PS(>=8 non-zero) 00 M`.
 * Returns validity and the message offset inside `em`.
 */
export function unpadPkcs1(em: Uint8Array): Unpadded {
  const k = em.length;
  let good = eq(em[0] ?? 1, 0) & eq(em[1] ?? 0, 2);
  let found = 0;
  let zeroIdx = 0;
  for (let i = 2; i < k; i++) {
    const z = isZero(em[i] ?? 1);
    zeroIdx = select(z & (found ^ 1), i, zeroIdx);
    found |= z;
  }
  // PS must be at least 8 bytes: the separator sits at index >= 10.
  good &= found & gte(zeroIdx, 10);
  return { good, start: zeroIdx + 1 };
}

/** MGF1 with SHA-256 (RFC 8017 §B.2.1). */
function mgf1(seed: Uint8Array, len: number): Buffer {
  const out = Buffer.alloc(Math.ceil(len / 32) * 32);
  const counter = Buffer.alloc(4);
  for (let c = 0; c * 32 < len; c++) {
    counter.writeUInt32BE(c);
    createHash('sha256')
      .update(seed)
      .update(counter)
      .digest()
      .copy(out, c * 32);
  }
  return out.subarray(0, len);
}

const EMPTY_LABEL_HASH = createHash('sha256').digest();

/**
 * RFC 8017 §7.1.2 EME-OAEP decoding with SHA-256/MGF1-SHA-256 and the empty
 * label (what WebCrypto sends when no label is given). Returns validity, the
 * message offset inside the returned `db` and `db` itself.
 */
export function unpadOaepSha256(em: Uint8Array): Unpadded & { db: Buffer } {
  const hLen = 32;
  const k = em.length;
  if (k < 2 * hLen + 2) return { good: 0, start: 0, db: Buffer.alloc(0) };
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = mgf1(maskedDb, hLen);
  for (let i = 0; i < hLen; i++) seed[i] = (seed[i] ?? 0) ^ (maskedSeed[i] ?? 0);
  const db = mgf1(seed, k - hLen - 1);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (maskedDb[i] ?? 0);
  seed.fill(0);

  let good = eq(em[0] ?? 1, 0);
  let hashOk = 1;
  for (let i = 0; i < hLen; i++) hashOk &= eq(db[i] ?? 0, EMPTY_LABEL_HASH[i] ?? 0);
  good &= hashOk;
  // After lHash: zero or more 0x00, then 0x01, then the message.
  let found = 0;
  let invalid = 0;
  let oneIdx = 0;
  for (let i = hLen; i < db.length; i++) {
    const b = db[i] ?? 0;
    const one = eq(b, 1);
    const zero = isZero(b);
    const looking = found ^ 1;
    oneIdx = select(looking & one, i, oneIdx);
    invalid |= looking & (one ^ 1) & (zero ^ 1);
    found |= one;
  }
  good &= found & (invalid ^ 1);
  return { good, start: oneIdx + 1, db };
}

/**
 * Decodes `em` under both paddings and returns the message of the one that
 * is valid (OAEP first; a random block valid under both has probability
 * < 2^-256), or undefined. Both decodings always run.
 */
export function unpadEither(em: Uint8Array): Buffer | undefined {
  const p = unpadPkcs1(em);
  const o = unpadOaepSha256(em);
  let out: Buffer | undefined;
  if (o.good === 1) out = Buffer.from(o.db.subarray(o.start));
  else if (p.good === 1) out = Buffer.from(em.subarray(p.start));
  o.db.fill(0);
  return out;
}
