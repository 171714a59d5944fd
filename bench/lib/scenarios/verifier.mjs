// Scenario: @tessera-auth/verify in a resource server (packages/verify). (1) Cost per token of
// verifier.verify() against jose's jwtVerify with a local key set and the same checks, in this
// process, interleaved rounds over the same distinct tokens; (2) time from a logout on Tessera
// to the verifier's refusal, pushed by the revocation feed (SSE), over the probe logouts.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_SERVICE_TOKEN, ROOT, Skip } from '../contenders.mjs';
import { sleep } from '../procs.mjs';

const DIST = join(ROOT, 'packages', 'verify', 'dist', 'index.js');
const ROUNDS = 15;
const COST_TOKENS = 1000;
const POLL_LIMIT_MS = 5000;

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const median = (xs) => percentile(xs, 0.5);

async function load() {
  if (!existsSync(DIST)) {
    try {
      execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:verify'], { cwd: ROOT, stdio: 'inherit' });
    } catch {
      throw new Skip('packages/verify/dist missing and npm run build:verify failed');
    }
  }
  const verify = await import(pathToFileURL(DIST).href);
  const jose = await import(pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('jose')).href);
  return { verify, jose };
}

/** µs per token of `fn` over `tokens`, each round alternating the two contenders. */
async function costs(tokens, a, b) {
  const per = { a: [], b: [] };
  const round = async (fn) => {
    const t0 = performance.now();
    for (const t of tokens) await fn(t);
    return ((performance.now() - t0) * 1000) / tokens.length;
  };
  await round(a);
  await round(b); // warm-up: JIT, the key import, the JWKS fetch
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first, so drift on a shared machine does not favour one.
    if (i % 2) {
      per.b.push(await round(b));
      per.a.push(await round(a));
    } else {
      per.a.push(await round(a));
      per.b.push(await round(b));
    }
  }
  return per;
}

/** ms from sending the logout (and from its answer) until the verifier refuses the token. */
async function refusalTime(h, verifier, token) {
  await verifier.verify(token);
  const t0 = performance.now();
  if (!(await h.client.logout(token))) return { error: 'logout failed' };
  const answered = performance.now();
  while (performance.now() - t0 < POLL_LIMIT_MS) {
    try {
      await verifier.verify(token);
    } catch (e) {
      if (e.code !== 'SESSION_ENDED') return { error: `refused with ${e.code}` };
      const now = performance.now();
      return { fromSend: now - t0, fromAnswer: now - answered };
    }
    await sleep(1);
  }
  return { fromSend: Infinity, fromAnswer: Infinity };
}

export const verifier = {
  id: 'verifier',
  title: 'Verifier for resource servers: cost per token vs jose jwtVerify; logout on Tessera → refusal by the verifier',
  contenders: ['tessera'],
  async prepare(h, def, state, { opts }) {
    const { verify, jose } = await load();
    const tokens = readFileSync((await state.tokensA()).file, 'utf8').split('\n').filter(Boolean).slice(0, COST_TOKENS);
    const probes = await state.logoutPool(opts.revocationProbes);
    return {
      async custom() {
        const claims = JSON.parse(Buffer.from(tokens[0].split('.')[1], 'base64url').toString());
        const opt = { issuer: claims.iss, audience: claims.aud };
        const v = verify.createVerifier({
          ...opt,
          jwksUrl: `${h.url}/.well-known/jwks.json`,
          revocations: { url: `${h.url}/api/service/revocations`, serviceToken: BENCH_SERVICE_TOKEN },
        });
        try {
          if (!(await v.ready(10_000))) throw new Error('the verifier did not synchronise with the feed');
          const jwks = await (await fetch(`${h.url}/.well-known/jwks.json`)).json();
          const local = jose.createLocalJWKSet(jwks);
          const joseOpts = { ...opt, algorithms: ['RS256'], typ: 'at+jwt', clockTolerance: 5, requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'] };
          const per = await costs(
            tokens,
            (t) => v.verify(t),
            (t) => jose.jwtVerify(t, local, joseOpts),
          );
          const fromSend = [];
          const fromAnswer = [];
          const errors = [];
          for (const t of probes) {
            const r = await refusalTime(h, v, t);
            if (r.error) errors.push(r.error);
            else {
              fromSend.push(r.fromSend);
              fromAnswer.push(r.fromAnswer);
            }
          }
          return {
            tokens: tokens.length,
            rounds: ROUNDS,
            verifierUs: Math.min(...per.a),
            joseUs: Math.min(...per.b),
            verifierRunsUs: per.a,
            joseRunsUs: per.b,
            // Other work on a shared machine only ever adds time to a round: the fastest round of
            // each is the closest to its own cost (the median ratio is reported beside it).
            costRatio: Math.min(...per.a) / Math.min(...per.b),
            medianRatio: median(per.a) / median(per.b),
            refusal: {
              probes: fromSend.length,
              probeErrors: errors.length ? `${errors.length}: ${errors[0]}` : undefined,
              p50Ms: fromSend.length ? percentile(fromSend, 0.5) : undefined,
              p99Ms: fromSend.length ? percentile(fromSend, 0.99) : undefined,
              maxMs: fromSend.length ? Math.max(...fromSend) : undefined,
              p99FromAnswerMs: fromAnswer.length ? percentile(fromAnswer, 0.99) : undefined,
              neverRefused: fromSend.filter((x) => x === Infinity).length,
            },
          };
        } finally {
          v.close();
        }
      },
    };
  },
};
