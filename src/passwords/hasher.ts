import { hash as argonHash, verify as argonVerify, type Algorithm } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { parseDerived, verifyDerived } from './foreign.js';

/**
 * argon2id at OWASP's recommended floor (m=19 MiB, t=2, p=1; OWASP Password
 * Storage Cheat Sheet). @node-rs/argon2 runs on libuv's thread pool, so the
 * event loop stays free while hashing.
 */
// `Algorithm` is a const enum, which verbatimModuleSyntax cannot import by value: Argon2id = 2.
const ARGON2ID = 2 as Algorithm;

const ARGON2_PARAMS: HashParams = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export interface HashParams {
  algorithm: Algorithm;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** bcrypt only looks at the first 72 bytes of its input. */
const BCRYPT_MAX_BYTES = 72;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches. Never throws on a malformed stored hash. */
  verify(stored: string, password: string): Promise<boolean>;
  /** True when the stored hash should be replaced by a current argon2id hash. */
  needsRehash(stored: string): boolean;
  /** Spends the same time as a real verify; for unknown users (no enumeration by timing). */
  verifyDummy(password: string): Promise<void>;
}

export function isBcrypt(stored: string): boolean {
  return /^\$2[abxy]\$\d\d\$/.test(stored);
}

/** The stored-hash families login verifies. */
export type HashFamily = 'argon2' | 'bcrypt' | 'pbkdf2' | 'scrypt';

/** bcrypt as the seed systems, PHP ($2y$) and OpenBSD ($2a$, $2b$) write it; $2x$ (a buggy PHP variant) is not taken in. */
const BCRYPT_FULL = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
/** The PHC string of argon2id, argon2i or argon2d; memory up to 1 GiB. */
const ARGON2_FULL =
  /^\$argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?m=(\d{1,7}),t=\d{1,3},p=\d{1,3}\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;

/**
 * Which family a stored hash brought from another system belongs to, or why it
 * is refused (`tessera users import` checks each row with it, decision 0023).
 */
export function hashFamily(stored: string): { family: HashFamily } | { problem: string } {
  if (BCRYPT_FULL.test(stored)) return { family: 'bcrypt' };
  const a = ARGON2_FULL.exec(stored);
  if (a)
    return Number(a[1]) <= 1_048_576
      ? { family: 'argon2' }
      : { problem: 'argon2 memory over 1 GiB' };
  const d = parseDerived(stored);
  if (d) return 'problem' in d ? { problem: d.problem } : { family: d.kind };
  return {
    problem:
      'unknown hash format (accepted: bcrypt, argon2 PHC strings, PBKDF2 and scrypt as Django, passlib, Werkzeug or Keycloak store them)',
  };
}

export function createPasswordHasher(params: HashParams = ARGON2_PARAMS): PasswordHasher {
  const prefix = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;
  // A real hash of a random password, computed once, so dummy verifies cost the same.
  let dummy: Promise<string> | undefined;
  const dummyHash = () => (dummy ??= argonHash(`dummy-${Math.random()}-${Date.now()}`, params));

  return {
    hash: (password) => argonHash(password, params),
    async verify(stored, password) {
      try {
        if (isBcrypt(stored)) {
          // bcrypt silently truncates to 72 bytes, and its hash cannot tell a
          // 72-byte password from a longer one cut to 72. So a bcrypt hash only
          // verifies candidates shorter than 72 bytes: a longer password can
          // never log in by its first 72 bytes. (An imported user whose real
          // password is 72+ bytes must reset it; see docs/security.md.)
          if (Buffer.byteLength(password, 'utf8') >= BCRYPT_MAX_BYTES) return false;
          return await bcryptVerify(password, stored);
        }
        if (stored.startsWith('$argon2')) return await argonVerify(stored, password);
        // PBKDF2 and scrypt hashes brought by an import (src/passwords/foreign.ts).
        const derived = parseDerived(stored);
        if (derived && !('problem' in derived)) return await verifyDerived(derived, password);
        return false;
      } catch {
        return false;
      }
    },
    needsRehash: (stored) => !stored.startsWith(prefix),
    async verifyDummy(password) {
      try {
        await argonVerify(await dummyHash(), password);
      } catch {
        /* same cost either way */
      }
    },
  };
}
