import { constants, createPrivateKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { unpadEither } from './padding.js';

/**
 * The RSA operations of encrypted login, each doing exactly one private-key
 * operation whatever the input, so a ciphertext that does not decrypt costs
 * the same time as one that does (the caller reports both like a wrong
 * password).
 */

/** Imports a PKCS#8 DER private key. */
export function importPrivateKey(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Modulus length in bytes (the only valid ciphertext length). */
export function modulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new Error('not an RSA key');
  return Math.ceil(bits / 8);
}

/** A fixed input (the integer 1) for the dummy operation on malformed input. */
function dummyBlock(k: number): Buffer {
  const b = Buffer.alloc(k);
  b[k - 1] = 1;
  return b;
}

/**
 * One-time keys: raw RSA (`RSA_NO_PADDING`, still blinded by OpenSSL) then
 * PKCS#1 v1.5 or OAEP-SHA-256 (empty label) unpadding in software.
 * `ct` must already have the modulus length; pass `undefined` for malformed
 * input to spend the same RSA time and get `undefined`.
 */
export function decryptOneTime(key: KeyObject, ct: Buffer | undefined): Buffer | undefined {
  const k = modulusBytes(key);
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ct ?? dummyBlock(k));
  } catch {
    // Only when ct >= n, which depends on the public modulus alone.
    privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, dummyBlock(k));
    return undefined;
  }
  if (!ct) {
    em.fill(0);
    return undefined;
  }
  const msg = unpadEither(em);
  em.fill(0);
  return msg;
}

/**
 * Shared keys: RSA-OAEP with SHA-256 and the key id as label, decoded by
 * OpenSSL's constant-time OAEP code. PKCS#1 v1.5 is never accepted here: a
 * shared key sees many attempts, so v1.5 would be a Bleichenbacher oracle.
 */
export function decryptSharedOaep(
  key: KeyObject,
  ct: Buffer | undefined,
  label: Buffer,
): Buffer | undefined {
  try {
    if (!ct) {
      privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, dummyBlock(modulusBytes(key)));
      return undefined;
    }
    return privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
      ct,
    );
  } catch {
    return undefined;
  }
}

const B64 = /^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/;

/**
 * Strict base64 (standard or URL alphabet) of exactly `k` bytes, or
 * undefined. Never throws: a bad ciphertext is a failed login, not a 400/500.
 */
export function parseCiphertext(b64: unknown, k: number): Buffer | undefined {
  if (typeof b64 !== 'string' || b64.length > 4 * Math.ceil(k / 3) + 4 || !B64.test(b64))
    return undefined;
  const buf = Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
  return buf.length === k ? buf : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict UTF-8 decode, falling back to CESU-8 (what jsencrypt sends for
 * characters outside the BMP: it encodes each UTF-16 surrogate on its own as
 * 3 bytes), so an emoji password typed into a seed-001 client still matches.
 * Undefined for anything else malformed. Zeroes `msg`.
 */
export function decodePassword(msg: Buffer): string | undefined {
  try {
    return utf8.decode(msg);
  } catch {
    return decodeCesu8(msg);
  } finally {
    msg.fill(0);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decodeCesu8(b: Buffer): string | undefined {
  const units: number[] = [];
  for (let i = 0; i < b.length;) {
    const c = b[i] ?? 0;
    const c1 = b[i + 1] ?? 0;
    const c2 = b[i + 2] ?? 0;
    if (c < 0x80) {
      units.push(c);
      i += 1;
    } else if (c >= 0xc2 && c < 0xe0 && (c1 & 0xc0) === 0x80) {
      units.push(((c & 0x1f) << 6) | (c1 & 0x3f));
      i += 2;
    } else if (c >= 0xe0 && c < 0xf0 && (c1 & 0xc0) === 0x80 && (c2 & 0xc0) === 0x80) {
      const u = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      if (u < 0x800) return undefined;
      units.push(u);
      i += 3;
    } else return undefined;
  }
  const s = String.fromCharCode(...units);
  units.fill(0);
  // Only well-formed strings: every surrogate paired.
  return LONE_SURROGATE.test(s) ? undefined : s;
}
