import fc from 'fast-check';
import { SignJWT, exportSPKI, generateKeyPair, importJWK } from 'jose';
import { createHmac, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TestServer } from './server.js';
import {
  operationsOf,
  keyPoolDrained,
  problemsOf,
  requestFor,
  resolvePool,
  type FuzzRequest,
  type Operation,
  type TokenKind,
} from './fuzz.js';

/** The victim's password: generated requests may send it (it is in the generators' pool). */
const PW = 'a-strong-passphrase';
/** The fuzzer's own accounts: a password no generated request can send, so no case changes it. */
const OWN_PW = `own-${randomBytes(12).toString('hex')}`;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const claimsOf = (t: string) =>
  JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** A full GC, for heap figures that are not garbage (vitest runs without --expose-gc). */
export function collect(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export interface FuzzStats {
  requests: number;
  byStatus: Record<string, number>;
  maxMs: number;
  failures: { op: string; req: FuzzRequest; problems: string[]; body: string }[];
  relogins: number;
  /** Failures in all (only the first 200 are kept). */
  failureCount: number;
  /** 503 answers of the public-key route with the pool empty (see keyPoolDrained). */
  keyPoolDrained: number;
  heapBeforeMiB?: number;
  heapAfterMiB?: number;
}

/** The fuzzer's identities and the ids its requests may name. */
async function setUp(s: TestServer) {
  let seq = 0;
  const freshUser = async (adminToken: string, roles: string[] = []) => {
    const username = `fuzzer${++seq}_${Math.random().toString(36).slice(2, 7)}`;
    const r = await s.call('POST', '/api/admin/users', {
      token: adminToken,
      body: { username, password: OWN_PW, ...(roles.length ? { roles } : {}) },
    });
    if (r.statusCode !== 201) throw new Error(`fuzz user: ${r.statusCode} ${r.body}`);
    return username;
  };
  // The fuzzer's admin has a name no generated request can guess: login cases aimed at
  // `admin` may lock that account or ask it for a captcha, never this one.
  const adminName = await freshUser(await s.adminToken(), ['admin']);
  // Logins of the fuzzer's own come from addresses no case uses (the server trusts the
  // loopback proxy): the cases' failed logins from 127.0.0.1 soon ask every login there for a
  // captcha (credential stuffing, decision 0006).
  let ip = 0;
  let lastRefusal = '';
  const ownLogin = async (username: string) => {
    ip++;
    const r = await s.call('POST', '/api/public/auth/login', {
      body: { username, password: OWN_PW },
      headers: { 'x-forwarded-for': `10.99.${(ip >> 8) & 255}.${ip & 255}` },
    });
    if (r.statusCode !== 200) {
      lastRefusal = `${r.statusCode} ${r.body.slice(0, 200)}`;
      return undefined;
    }
    return r.data.data as { access_token: string; refresh_token: string };
  };
  const must = async (username: string) => {
    const t = await ownLogin(username);
    if (!t) throw new Error(`fuzz login ${username} refused: ${lastRefusal}`);
    return t;
  };
  const admin = async () => (await must(adminName)).access_token;
  const tokens = { admin: await admin(), user: '', refresh: '', username: '' };
  tokens.username = await freshUser(tokens.admin);
  const first = await must(tokens.username);
  tokens.user = first.access_token;
  tokens.refresh = first.refresh_token;

  await s.register('victim', PW);
  const victim = await s.login('victim', PW);
  const vc = claimsOf(victim.access_token);
  const roleRes = await s.call('PUT', '/api/admin/roles/fuzzrole', {
    token: tokens.admin,
    body: { level: 1, permissions: [] },
  });
  if (roleRes.statusCode >= 300) throw new Error(`role: ${roleRes.statusCode} ${roleRes.body}`);
  const ids = {
    'victim-id': String(vc.sub),
    'victim-sid': String(vc.sid),
    'victim-name': 'victim',
    role: 'fuzzrole',
    tenant: 'fuzz-t',
  };

  // Tokens an attacker can make: another key under our kid, alg none, HS256 keyed with our
  // public key, our signature over changed claims.
  const [h64, p64, sig] = tokens.user.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h64, 'base64url').toString()) as { kid?: string };
  const claims = claimsOf(tokens.user);
  const adminSub = claimsOf(tokens.admin).sub;
  const other = await generateKeyPair('RS256');
  const forged = await new SignJWT({ ...claims, roles: ['admin'] })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', ...(header.kid ? { kid: header.kid } : {}) })
    .sign(other.privateKey);
  const jwks = JSON.parse((await s.call('GET', '/.well-known/jwks.json')).body) as {
    keys: Parameters<typeof importJWK>[0][];
  };
  const pub = await importJWK(jwks.keys[0]!, 'RS256');
  const pem = await exportSPKI(pub as Parameters<typeof exportSPKI>[0]);
  const hsHead = b64({ alg: 'HS256', typ: 'at+jwt', kid: header.kid });
  const hsBody = b64({ ...claims, roles: ['admin'] });
  const hs = `${hsHead}.${hsBody}.${createHmac('sha256', pem).update(`${hsHead}.${hsBody}`).digest('base64url')}`;
  const fixed: Record<Exclude<TokenKind, 'user' | 'admin' | 'refresh-as-access'>, string | null> = {
    none: null,
    forged: `Bearer ${forged}`,
    'alg-none': `Bearer ${b64({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${p64}.`,
    'hs-confusion': `Bearer ${hs}`,
    tampered: `Bearer ${h64}.${b64({ ...claims, sub: adminSub, roles: ['admin'] })}.${sig}`,
    huge: `Bearer ${'a'.repeat(20_000)}.b.c`,
    garbage: 'Bearer x.y.z',
    basic: 'Basic YWRtaW46eA==',
    'empty-bearer': 'Bearer ',
  };
  const authorization = (k: TokenKind): string | null => {
    if (k === 'user') return `Bearer ${tokens.user}`;
    if (k === 'admin') return `Bearer ${tokens.admin}`;
    if (k === 'refresh-as-access') return `Bearer ${tokens.refresh}`;
    return fixed[k];
  };
  /** After a case that may have ended a session of ours: log in again where needed. */
  const heal = async (): Promise<number> => {
    let n = 0;
    const alive = async (t: string) =>
      (await s.call('GET', '/api/public/auth/me', { token: t })).statusCode === 200;
    if (!(await alive(tokens.admin))) {
      tokens.admin = await admin();
      n++;
    }
    if (!(await alive(tokens.user))) {
      // The user may also be locked by the fuzzer's own wrong passwords: then a new one.
      const t =
        (await ownLogin(tokens.username)) ??
        (await must((tokens.username = await freshUser(tokens.admin))));
      tokens.user = t.access_token;
      tokens.refresh = t.refresh_token;
      n++;
    }
    return n;
  };
  return { ids, authorization, heal };
}

export interface FuzzOptions {
  /** Cases per operation. */
  runsPerOp: number;
  seed: number;
  /** Bound on one answer, ms. */
  boundMs?: number;
  /** Operations to skip (none by default). */
  only?: (op: Operation) => boolean;
  /** Long runs: record failures and go on instead of stopping at the first. */
  keepGoing?: boolean;
}

/**
 * Runs `runsPerOp` hostile requests against every operation of the served OpenAPI document
 * (app.inject) and collects what broke the contract. fast-check's own failure report (seed,
 * path, counterexample) is thrown when a case fails, so any failure replays.
 */
export async function fuzzEveryRoute(s: TestServer, o: FuzzOptions): Promise<FuzzStats> {
  const doc = (s.app as unknown as { swagger(): Parameters<typeof operationsOf>[0] }).swagger();
  const ops = operationsOf(doc).filter(o.only ?? (() => true));
  const ctx = await setUp(s);
  const stats: FuzzStats = {
    requests: 0,
    byStatus: {},
    maxMs: 0,
    failures: [],
    relogins: 0,
    failureCount: 0,
    keyPoolDrained: 0,
  };
  const bound = o.boundMs ?? 5000;
  for (const [i, op] of ops.entries()) {
    await fc.assert(
      fc.asyncProperty(requestFor(op), async (req) => {
        const auth = ctx.authorization(req.token);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = resolvePool(v, ctx.ids);
        if (auth !== null) headers.authorization = auth;
        const url = resolvePool(req.url, ctx.ids);
        const t0 = performance.now();
        let timer: NodeJS.Timeout | undefined;
        const res = await Promise.race([
          s.app.inject({
            method: req.method as 'GET',
            url,
            headers,
            ...(req.payload !== undefined
              ? {
                  payload:
                    typeof req.payload === 'string'
                      ? resolvePool(req.payload, ctx.ids)
                      : req.payload,
                }
              : {}),
          }),
          new Promise<null>((r) => (timer = setTimeout(() => r(null), bound * 2))),
        ]);
        clearTimeout(timer);
        const ms = performance.now() - t0;
        stats.requests++;
        if (o.keepGoing && stats.requests % 50_000 === 0)
          console.log(`fuzz progress ${stats.requests} requests, ${stats.failureCount} failures`);
        stats.maxMs = Math.max(stats.maxMs, ms);
        const status = res ? String(res.statusCode) : 'hang';
        stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
        const retryAfter = res?.headers['retry-after'];
        if (res && keyPoolDrained(url, res.statusCode, res.body, String(retryAfter)))
          stats.keyPoolDrained++;
        const problems = res
          ? problemsOf(
              url,
              res.statusCode,
              res.body,
              ms,
              bound,
              retryAfter === undefined ? undefined : String(retryAfter),
              op.errors,
            )
          : ['no answer'];
        if (problems.length) {
          stats.failureCount++;
          if (stats.failures.length < 200)
            stats.failures.push({
              op: `${op.method} ${op.path}`,
              req,
              problems,
              body: res?.body.slice(0, 300) ?? '',
            });
          if (o.keepGoing) return true;
          throw new Error(
            `${op.method} ${url}: ${problems.join('; ')}: ${res?.body.slice(0, 300)}`,
          );
        }
        if (
          (req.token === 'user' || req.token === 'admin') &&
          res &&
          (res.statusCode === 401 || (req.method !== 'GET' && res.statusCode < 300))
        )
          stats.relogins += await ctx.heal();
        return true;
      }),
      { numRuns: o.runsPerOp, seed: o.seed + i, endOnFailure: true },
    );
  }
  return stats;
}
