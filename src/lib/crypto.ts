import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random URL-safe identifier with `bytes` of entropy. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of a high-entropy secret (refresh tokens, API tokens), base64url. */
export function sha256(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('base64url');
}

/**
 * Constant-time string comparison. Both sides are hashed first so that the
 * comparison time does not depend on where they differ nor on their lengths.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
