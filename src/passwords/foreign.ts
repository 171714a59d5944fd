import { pbkdf2, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes other systems store, verified with node:crypto so that
 * users imported from them (`tessera users import`, decision 0023) log in
 * with their old password; the login then stores argon2id in their place
 * (login/steps/account-state.ts). Formats, one example each (password
 * "password"; the full list in docs/import-export.md):
 *
 *  - Django:   `pbkdf2_sha256$<iterations>$<salt text>$<base64 hash>` (also pbkdf2_sha1, pbkdf2_sha512)
 *  - passlib:  `$pbkdf2-sha256$<iterations>$<ab64 salt>$<ab64 hash>` (`$pbkdf2$` is SHA-1, also -sha512);
 *              `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<base64 salt>$<base64 hash>`
 *  - Werkzeug: `pbkdf2:sha256:<iterations>$<salt text>$<hex hash>`, `scrypt:<N>:<r>:<p>$<salt text>$<hex hash>`
 *  - Node:     `scrypt$<N>$<r>$<p>$<base64 salt>$<base64 hash>` (crypto.scrypt; a form Tessera defines)
 *
 * The derived key's length is the stored hash's. Work factors are bounded,
 * so a stored string cannot make one login cost minutes or gigabytes.
 */
export type Digest = 'sha1' | 'sha256' | 'sha512';

export type DerivedHash =
  | { kind: 'pbkdf2'; digest: Digest; iterations: number; salt: Buffer; hash: Buffer }
  | { kind: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer };

/** PBKDF2 iterations accepted (Django 5.1 uses 870,000; ~1 s of one core at the cap). */
const MAX_ITERATIONS = 5_000_000;
/** scrypt memory accepted, 128·N·r bytes (passlib's default ln=16, r=8 is 64 MiB). */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

/** passlib's "adapted base64": `.` for `+`, no padding. */
export const ab64 = {
  decode: (s: string) => Buffer.from(s.replace(/\./g, '+'), 'base64'),
  encode: (b: Buffer) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.'),
};

const DIGEST: Record<string, Digest> = { sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' };
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HEX = /^(?:[0-9a-f]{2})+$/;

const pbkdf = (digest: Digest | undefined, iterations: string, salt: Buffer, hash: Buffer) =>
  digest
    ? ({ kind: 'pbkdf2', digest, iterations: Number(iterations), salt, hash } as const)
    : undefined;

function parse(stored: string): DerivedHash | undefined {
  let m = /^pbkdf2_(sha1|sha256|sha512)\$(\d{1,9})\$([^$]*)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (m && B64.test(m[4]!))
    return pbkdf(DIGEST[m[1]!], m[2]!, Buffer.from(m[3]!, 'utf8'), Buffer.from(m[4]!, 'base64'));
  m = /^\$pbkdf2(?:-(sha256|sha512))?\$(\d{1,9})\$([A-Za-z0-9./]*)\$([A-Za-z0-9./]+)$/.exec(stored);
  if (m) return pbkdf(DIGEST[m[1] ?? 'sha1'], m[2]!, ab64.decode(m[3]!), ab64.decode(m[4]!));
  m = /^pbkdf2:(sha1|sha256|sha512):(\d{1,9})\$([^$]*)\$([0-9a-f]+)$/.exec(stored);
  if (m && HEX.test(m[4]!))
    return pbkdf(DIGEST[m[1]!], m[2]!, Buffer.from(m[3]!), Buffer.from(m[4]!, 'hex'));
  // passlib's scrypt, unlike its PBKDF2, writes standard base64 (without padding).
  m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]*)\$([A-Za-z0-9+/]+)$/.exec(
    stored,
  );
  if (m) {
    const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [salt, hash] = [Buffer.from(m[4]!, 'base64'), Buffer.from(m[5]!, 'base64')];
    return { kind: 'scrypt', N: 2 ** ln, r, p, salt, hash };
  }
  m = /^scrypt:(\d{1,8}):(\d{1,3}):(\d{1,3})\$([^$]*)\$([0-9a-f]+)$/.exec(stored);
  if (m && HEX.test(m[5]!)) {
    const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return { kind: 'scrypt', N, r, p, salt: Buffer.from(m[4]!), hash: Buffer.from(m[5]!, 'hex') };
  }
  m = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)$/.exec(
    stored,
  );
  if (m) {
    const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [salt, hash] = [Buffer.from(m[4]!, 'base64'), Buffer.from(m[5]!, 'base64')];
    return { kind: 'scrypt', N, r, p, salt, hash };
  }
  return undefined;
}

/** Why a parsed hash is refused (work factors out of bounds), or null. */
function problem(d: DerivedHash): string | null {
  if (d.hash.length < 16 || d.hash.length > 128) return 'the hash must be 16 to 128 bytes';
  if (d.salt.length > 1024) return 'the salt must be at most 1024 bytes';
  if (d.kind === 'pbkdf2')
    return d.iterations >= 1 && d.iterations <= MAX_ITERATIONS
      ? null
      : `PBKDF2 iterations must be 1 to ${MAX_ITERATIONS}`;
  if (d.N < 2 || (d.N & (d.N - 1)) !== 0) return 'scrypt N must be a power of 2';
  if (d.r < 1 || d.p < 1 || d.p > 16) return 'scrypt r must be at least 1, p 1 to 16';
  if (128 * d.N * d.r > MAX_SCRYPT_MEMORY) return 'scrypt needs more than 256 MiB (128·N·r)';
  return null;
}

/** A stored PBKDF2 or scrypt hash with its parameters, or why it cannot be used. */
export function parseDerived(stored: string): DerivedHash | { problem: string } | undefined {
  const d = parse(stored);
  if (!d) return undefined;
  const p = problem(d);
  return p ? { problem: p } : d;
}

const derive = (d: DerivedHash, password: BinaryLike) =>
  new Promise<Buffer>((resolve, reject) => {
    const done = (e: Error | null, key: Buffer) => (e ? reject(e) : resolve(key));
    if (d.kind === 'pbkdf2') pbkdf2(password, d.salt, d.iterations, d.hash.length, d.digest, done);
    else {
      const o: ScryptOptions = { N: d.N, r: d.r, p: d.p, maxmem: 256 * d.N * d.r + (1 << 20) };
      scrypt(password, d.salt, d.hash.length, o, done);
    }
  });

/** True when `password` derives the stored key (compared in constant time). On the thread pool. */
export async function verifyDerived(d: DerivedHash, password: string): Promise<boolean> {
  const key = await derive(d, Buffer.from(password, 'utf8'));
  return timingSafeEqual(key, d.hash);
}
