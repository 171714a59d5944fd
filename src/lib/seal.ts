import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets sealed at rest (decision 0011): private signing keys and the other
 * secrets Tessera keeps in its database are stored as
 * `tsl1:<key id>:<iv>:<ciphertext>:<tag>` — AES-256-GCM under a
 * key-encryption key (the master key), with the row's identity as additional
 * data, so a sealed value copied onto another row does not open. A database
 * dump alone then holds no usable key.
 *
 * Without a master key (development only: production refuses to start
 * without one) values are stored in the clear, and values stored in the
 * clear are read as they are, so setting a master key later is an upgrade,
 * not a migration.
 */
const PREFIX = 'tsl1:';

/** The id of a master key: the first 8 bytes of its SHA-256, base64url. Not secret. */
function masterKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');
}

/** Is a stored value sealed (under any key)? */
export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

export interface Sealer {
  /** The id of the key new values are sealed under, or null when values are stored in the clear. */
  readonly current: string | null;
  /** Seals `plain` for the row `aad` names (e.g. `signing_keys:<kid>`). */
  seal(plain: string, aad: string): string;
  /** The clear text of a stored value (sealed under any key this node holds, or in the clear). */
  open(stored: string, aad: string): string;
  /** Is `stored` sealed under the current key already? */
  isCurrent(stored: string): boolean;
}

/** Thrown when a value is sealed under a key this node does not hold, or does not open. */
export class SealError extends Error {
  override name = 'SealError';
}

/**
 * A sealer over master keys: the first seals, all of them open (the others
 * are the previous key during a rotation, or the next one before the switch).
 * No key: values are stored in the clear.
 */
export function createSealer(keys: readonly Buffer[]): Sealer {
  const byId = new Map(keys.map((k) => [masterKeyId(k), k]));
  const first = keys[0];
  const current = first ? masterKeyId(first) : null;
  return {
    current,
    seal(plain, aad) {
      if (!first || !current) return plain;
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', first, iv);
      c.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return `${PREFIX}${current}:${iv.toString('base64url')}:${ct.toString('base64url')}:${c.getAuthTag().toString('base64url')}`;
    },
    open(stored, aad) {
      if (!isSealed(stored)) return stored;
      const [id, iv, ct, tag] = stored.slice(PREFIX.length).split(':');
      const key = id ? byId.get(id) : undefined;
      if (!key)
        throw new SealError(
          `a secret in the database is sealed under master key ${id ?? '?'}, which this node does not hold: set TESSERA_MASTER_KEY (or TESSERA_MASTER_KEY_PREVIOUS during a rotation)`,
        );
      try {
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
        d.setAAD(Buffer.from(aad, 'utf8'));
        d.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
        return Buffer.concat([d.update(Buffer.from(ct ?? '', 'base64url')), d.final()]).toString(
          'utf8',
        );
      } catch {
        throw new SealError(`a sealed secret (${aad}) does not open: tampered or moved`);
      }
    },
    isCurrent: (stored) => current !== null && stored.startsWith(`${PREFIX}${current}:`),
  };
}
