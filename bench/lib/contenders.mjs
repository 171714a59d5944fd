// The contenders: how each one is started on 127.0.0.1 and which client speaks to it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { betterAuthClient, contractClient } from './clients.mjs';
import { PG_URL, REDIS_URL, freshNamespace, multiNodeUnavailable } from './infra.mjs';
import { freePort, makeTempDir, startProcess, stopProcess, waitForHttp } from './procs.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH = join(ROOT, 'bench');

/** Access-token lifetime for every contender: longer than a full run (Better Auth sessions last 7 days). */
const ACCESS_TTL_S = 3600;

/** A scenario or contender that cannot run here; the reason goes into the report. */
export class Skip extends Error {}

/** One HS256 secret for the whole run (48 random bytes, base64), shared by every HS256 contender. */
export const HS_SECRET = randomBytes(48).toString('base64');
/** The service token the verifier scenario's revocation feed client presents (TESSERA_PUBLIC_API_TOKENS). */
export const BENCH_SERVICE_TOKEN = `bench-svc-${randomBytes(24).toString('hex')}`;

/** The Express peer's RS256 key, PEM strings in env as typical code has them; the ceiling can then replay its tokens. */
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PEER_RSA = {
  privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }),
  publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }),
};

export const CONTENDERS = [
  { id: 'tessera', label: 'Tessera embedded RS256', kind: 'tessera', alg: 'RS256' },
  { id: 'tessera-hs', label: 'Tessera embedded HS256', kind: 'tessera', alg: 'HS256' },
  { id: 'tessera-multi', label: 'Tessera multi-node RS256 (PostgreSQL + Redis)', kind: 'tessera', alg: 'RS256', multiNode: true },
  { id: 'express', label: 'Express + jsonwebtoken + bcrypt RS256', kind: 'express', alg: 'RS256' },
  { id: 'express-hs', label: 'Express + jsonwebtoken + bcrypt HS256', kind: 'express', alg: 'HS256' },
  { id: 'better-auth', label: 'Better Auth (SQLite, session cookie)', kind: 'better-auth' },
  { id: 'bare', label: 'Ceiling: bare Fastify route', kind: 'ceiling', mode: 'bare' },
  { id: 'crypto-rs', label: 'Ceiling: Fastify + crypto.verify RS256', kind: 'ceiling', mode: 'rs256', alg: 'RS256' },
  { id: 'crypto-hs', label: 'Ceiling: Fastify + createHmac HS256', kind: 'ceiling', mode: 'hs256', alg: 'HS256' },
];

const tail = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ').slice(0, 600) : '');

async function launch(def, { cmd, args, env, healthPath = '/healthz', tag }) {
  const port = await freePort();
  const tmp = makeTempDir(tag ?? def.id);
  const logFile = join(tmp, 'server.log');
  const child = startProcess({ cmd, args, cwd: ROOT, cpus: '0,1', env: { ...env(port, tmp) }, logFile });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}${healthPath}`, child, 60_000);
  } catch (err) {
    await stopProcess(child);
    throw new Skip(`${def.label} did not start: ${err.message}. Log: ${tail(logFile)}`);
  }
  return { url, child, pid: child.pid, tmp, logFile, stop: () => stopProcess(child) };
}

function tesseraEnv(def, ns) {
  return (port, tmp) => ({
    TESSERA_PORT: String(port),
    TESSERA_HOST: '127.0.0.1',
    TESSERA_DATA_DIR: tmp,
    TESSERA_ADMIN_PASSWORD: 'bench-admin-' + randomBytes(8).toString('hex'),
    TESSERA_LOG_LEVEL: 'warn',
    // Tokens are minted at the start and used up to ~15 min later (revocation, WebSocket): the
    // default 900 s lifetime would expire them mid-run. Every contender gets the same hour.
    TESSERA_ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_S),
    // Sessions are minted in bulk per user; the default cap (10) would end the older ones.
    TESSERA_MAX_SESSIONS_PER_USER: '1000',
    // Set-up and the login storm vary X-Forwarded-For so per-IP login limits see many clients.
    TESSERA_TRUST_PROXY: '127.0.0.1',
    // Every anonymous /api/public/** route (login, refresh, register, public key; not the
    // token-checked /me) has a per-IP budget of max(120, this) requests per minute; all bench
    // traffic comes from 127.0.0.1. 1,000,000 is the schema's maximum.
    TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '1000000',
    TESSERA_RSA_KEY_REQUESTS_PER_IP_PER_MINUTE: '1000000',
    TESSERA_PUBLIC_API_TOKENS: BENCH_SERVICE_TOKEN,
    ...(def.alg === 'HS256' ? { TESSERA_JWT_ALGORITHM: 'HS256', TESSERA_JWT_SECRET: HS_SECRET } : {}),
    ...(ns
      ? { TESSERA_DATABASE_URL: PG_URL, TESSERA_DATABASE_SCHEMA: ns.schema, TESSERA_REDIS_URL: REDIS_URL, TESSERA_REDIS_PREFIX: ns.redisPrefix }
      : {}),
  });
}

async function startTessera(def) {
  const main = join(ROOT, 'dist', 'main.js');
  if (!existsSync(main)) throw new Skip('dist/main.js missing (build failed?)');
  let ns;
  if (def.multiNode) {
    const why = multiNodeUnavailable();
    if (why) throw new Skip(why);
    ns = freshNamespace();
  }
  const spec = { cmd: process.execPath, args: [main], env: tesseraEnv(def, ns) };
  const h = await launch(def, spec);
  h.client = contractClient(h.url, { xff: true });
  /** Multi-node only: a second node on the same PostgreSQL + Redis (revocation propagation). */
  if (ns) h.startSecondNode = () => launch(def, { ...spec, tag: `${def.id}-b` });
  return h;
}

async function startExpress(def) {
  const h = await launch(def, {
    cmd: process.execPath,
    args: [join(BENCH, 'peers/express-jwt/server.mjs')],
    env: (port) => ({
      PORT: String(port),
      JWT_ALG: def.alg,
      JWT_SECRET: HS_SECRET,
      JWT_PRIVATE_KEY: PEER_RSA.privateKey,
      JWT_PUBLIC_KEY: PEER_RSA.publicKey,
      BCRYPT_COST: '10',
      ACCESS_TTL_SECONDS: String(ACCESS_TTL_S),
      NODE_ENV: 'production',
    }),
  });
  h.client = contractClient(h.url);
  return h;
}

async function startBetterAuth(def) {
  const h = await launch(def, {
    cmd: process.execPath,
    args: [join(BENCH, 'peers/better-auth/server.mjs')],
    env: (port, tmp) => ({ PORT: String(port), DATA_DIR: tmp, BETTER_AUTH_SECRET: randomBytes(32).toString('hex'), NODE_ENV: 'production' }),
  });
  h.client = betterAuthClient(h.url);
  return h;
}

/** Ceilings verify the very tokens Tessera minted (its JWKS key / the shared HS256 secret). */
async function startCeiling(def, artifacts) {
  const env = { CEILING_MODE: def.mode, NODE_ENV: 'production' };
  if (artifacts.meJson) env.CEILING_ME_JSON = artifacts.meJson;
  if (def.mode === 'rs256') {
    if (!artifacts.rs) throw new Skip('no RS256 tokens to verify');
    env.CEILING_PUBLIC_KEY = artifacts.rs.publicKey;
  }
  if (def.mode === 'hs256') {
    if (!artifacts.hs) throw new Skip('no HS256 tokens to verify');
    env.CEILING_SECRET = HS_SECRET;
  }
  const h = await launch(def, {
    cmd: process.execPath,
    args: [join(BENCH, 'peers/ceiling/server.mjs')],
    env: (port) => ({ PORT: String(port), ...env }),
  });
  h.client = contractClient(h.url);
  return h;
}

export function startContender(def, artifacts) {
  switch (def.kind) {
    case 'tessera':
      return startTessera(def);
    case 'express':
      return startExpress(def);
    case 'better-auth':
      return startBetterAuth(def);
    case 'ceiling':
      return startCeiling(def, artifacts);
    default:
      throw new Error(`unknown contender kind ${def.kind}`);
  }
}
