import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { randomId, sha256 } from '../lib/crypto.js';

/**
 * Refresh tokens are opaque: `tsr_` + 256 random bits. Only their SHA-256 is
 * stored (a fast hash is right for high-entropy secrets). An access token (a
 * JWT) can never be taken for one, nor the reverse.
 */
const REFRESH_PREFIX = 'tsr_';
const TOKEN_RE = /^tsr_[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): string {
  return REFRESH_PREFIX + randomId(32);
}

export function isRefreshTokenShape(t: string): boolean {
  return TOKEN_RE.test(t);
}

export const hashRefreshToken = (t: string): string => sha256(t);

function keyFrom(token: string): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(token, 'utf8'),
      Buffer.alloc(0),
      'tessera refresh successor v1',
      32,
    ),
  );
}

/**
 * For the reuse grace window, the successor of a rotated token is kept
 * encrypted under a key derived from the rotated token itself: only someone
 * who holds that token can read it, and a database leak reveals nothing.
 */
export function sealSuccessor(rotated: string, successor: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', keyFrom(rotated), iv);
  const ct = Buffer.concat([c.update(successor, 'utf8'), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64url');
}

export function openSuccessor(rotated: string, sealed: string): string | null {
  try {
    const buf = Buffer.from(sealed, 'base64url');
    const d = createDecipheriv('aes-256-gcm', keyFrom(rotated), buf.subarray(0, 12));
    d.setAuthTag(buf.subarray(buf.length - 16));
    return Buffer.concat([d.update(buf.subarray(12, buf.length - 16)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}
