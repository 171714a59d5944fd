import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts private key material before it leaves the process (Redis).
 * AES-256-GCM under a key derived (HKDF-SHA-256) from a server secret that
 * every node shares; the Redis key name is the additional data, so a record
 * copied under another key id does not open. Someone who can read Redis (a
 * backup, a replica, a MONITOR session) learns nothing about login keys
 * without the secret.
 */
export interface Sealer {
  seal(plain: Buffer, aad: string): string;
  /** Throws when the record was sealed under another secret or tampered with. */
  open(sealed: string, aad: string): Buffer;
}

/** At least 32 bytes (or characters) of secret. */
const MIN_SECRET_BYTES = 32;

export function createSealer(secret: string | Uint8Array): Sealer {
  const raw = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (raw.length < MIN_SECRET_BYTES) {
    throw new Error(
      `login-keys: the Redis store secret must be at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  const key = Buffer.from(hkdfSync('sha256', raw, 'tessera', 'tessera login-keys seal v1', 32));
  raw.fill(0);
  return {
    seal(plain, aad) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
    },
    open(sealed, aad) {
      const b = Buffer.from(sealed, 'base64');
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12)).setAAD(Buffer.from(aad));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]);
    },
  };
}
