// One password verification's time, measured here with each contender's own library and
// parameters, to normalise logins/s (logins/s × seconds per hash = cores kept busy hashing).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './contenders.mjs';

const PASSWORD = 'Bench-passw0rd-2026!';

async function timeIt(fn, n = 8) {
  await fn();
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1];
}

async function argon2() {
  // Tessera's own dependency, from the root install.
  const { hash, verify } = createRequire(join(ROOT, 'package.json'))('@node-rs/argon2');
  const params = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };
  const h = await hash(PASSWORD, params);
  return { algo: 'argon2id m=19456 KiB, t=2, p=1 (@node-rs/argon2)', ms: await timeIt(() => verify(h, PASSWORD)) };
}

async function bcrypt() {
  const { default: b } = await import('bcrypt');
  const h = await b.hash(PASSWORD, 10);
  return { algo: 'bcrypt cost 10 (native `bcrypt` 6)', ms: await timeIt(() => b.compare(PASSWORD, h)) };
}

async function scrypt() {
  const { hashPassword, verifyPassword } = await import('better-auth/crypto');
  const h = await hashPassword(PASSWORD);
  return { algo: 'scrypt N=16384, r=16, p=1 (Better Auth default, node:crypto)', ms: await timeIt(() => verifyPassword({ hash: h, password: PASSWORD })) };
}

const byKind = { tessera: argon2, express: bcrypt, 'better-auth': scrypt };
const cache = new Map();

export function hashCost(kind) {
  if (!byKind[kind]) return Promise.resolve(undefined);
  if (!cache.has(kind)) cache.set(kind, byKind[kind]().catch((err) => ({ algo: `unmeasured (${err.message})`, ms: undefined })));
  return cache.get(kind);
}
