// Per-contender inputs, built lazily and once: users, live access tokens, refresh seeds,
// sessions to log out. Scenarios ask for what they need; a failure becomes a Skip with its reason.
import { readFileSync } from 'node:fs';
import { Skip } from './contenders.mjs';
import { ensureUsers, loginSessions, mintByRefresh, writeLines } from './mint.mjs';

const memo = (fn) => {
  let p;
  return () => (p ??= fn());
};

async function assertValid(client, tokens, what) {
  for (const t of [tokens[0], tokens[tokens.length >> 1], tokens[tokens.length - 1]]) {
    const r = await client.me(t);
    if (!r.ok) throw new Skip(`${what}: a freshly minted token was refused (${r.status} ${JSON.stringify(r.body).slice(0, 160)})`);
  }
}

function contractState(h, def, opts) {
  const c = h.client;
  const guard = async (fn) => {
    const missing = await c.missingRoute();
    if (missing) throw new Skip(`route not built: ${missing}`);
    return fn();
  };
  // Peers hash slowly (bcrypt cost 10) and key nothing on sessions: fewer users and sessions there.
  const peer = def.kind !== 'tessera';
  const users = memo(() => guard(() => ensureUsers(c, def.id.replace(/-/g, '_'), Math.min(opts.users, peer ? 50 : opts.users))));
  let loginOffset = 0;
  // Sessions left over by the login storm (never used since): refresh seeds and logouts take these first.
  const spares = [];
  const freshSessions = async (n) => {
    const reused = spares.splice(0, n);
    const s = await loginSessions(c, await users(), n - reused.length, loginOffset);
    loginOffset += s.length;
    return [...reused, ...s];
  };
  const sessionsA = memo(() => freshSessions(Math.min(opts.sessions, peer ? 100 : opts.sessions, opts.tokens)));
  const tokensA = memo(async () => {
    const sessions = await sessionsA();
    const tokens = sessions.map((s) => s.access);
    if (tokens.length < opts.tokens) tokens.push(...(await mintByRefresh(h, sessions, opts.tokens - tokens.length, 'a')));
    await assertValid(c, tokens, 'validate pool');
    return { file: writeLines(h.tmp, 'tokens-a.txt', tokens), count: tokens.length, sample: tokens[0] };
  });
  return {
    users,
    tokensA,
    /** Workload (b): one file of never-seen tokens per repeat, minted by refresh rotation. */
    tokensB: memo(async () => {
      await tokensA();
      const sessions = await sessionsA();
      const want = opts.neverSeenPerRepeat * opts.repeats;
      const tokens = await mintByRefresh(h, sessions, want, 'b');
      const per = Math.floor(tokens.length / opts.repeats);
      await assertValid(c, tokens, 'never-seen pool');
      return Array.from({ length: opts.repeats }, (_, i) => ({
        file: writeLines(h.tmp, `tokens-b-${i}.txt`, tokens.slice(i * per, (i + 1) * per)),
        count: per,
      }));
    }),
    /** Keeps the sessions a login run created (file of `access<TAB>refresh` lines). */
    addSpareSessions: (file) => {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [access, refresh] = line.split('\t');
        if (access && refresh) spares.push({ access, refresh });
      }
    },
    /** `n` live refresh tokens of distinct, otherwise unused sessions. */
    refreshSeeds: async (n) => (await freshSessions(n)).map((s) => s.refresh),
    /** Access tokens whose logout affects nothing else: own sessions when logout ends a session. */
    logoutPool: async (n) => {
      if (def.kind === 'tessera') return (await freshSessions(n)).map((s) => s.access);
      const sessions = await freshSessions(Math.min(n, 16));
      return mintByRefresh(h, sessions, n, `logout-${loginOffset}`);
    },
  };
}

function betterAuthState(h, def, opts) {
  const c = h.client;
  const users = memo(() => ensureUsers(c, 'ba', Math.min(opts.users, 50)));
  const mint = async (n) => {
    const us = await users();
    const per = Math.ceil(n / us.length);
    const out = [];
    for (const u of us) {
      if (out.length >= n) break;
      out.push(...(await c.mintSessions(u, Math.min(per, n - out.length))));
    }
    return out;
  };
  return {
    users,
    tokensA: memo(async () => {
      const tokens = await mint(opts.tokens);
      await assertValid(c, tokens, 'validate pool');
      return { file: writeLines(h.tmp, 'cookies-a.txt', tokens), count: tokens.length, sample: tokens[0] };
    }),
    tokensB: () => Promise.reject(new Skip('not run for this contender')),
    refreshSeeds: () => Promise.reject(new Skip('Better Auth has no refresh-token rotation for email + password sessions')),
    logoutPool: mint,
  };
}

/** Ceilings replay the tokens minted by Tessera (artifacts), so both verify the very same strings. */
function ceilingState(h, def, artifacts) {
  const src = def.alg === 'HS256' ? artifacts.hs : artifacts.rs ?? artifacts.hs;
  const fail = (what) => () => Promise.reject(new Skip(`${what} not applicable to a ceiling`));
  return {
    tokensA: async () => {
      if (!src) throw new Skip('no tokens from Tessera to replay');
      return src.tokensA;
    },
    tokensB: async () => {
      if (!src?.tokensB || def.mode === 'bare') throw new Skip('Tessera produced no never-seen pool');
      return src.tokensB;
    },
    users: fail('users'),
    refreshSeeds: fail('refresh'),
    logoutPool: fail('logout'),
  };
}

export function makeState(h, def, opts, artifacts) {
  if (def.kind === 'ceiling') return ceilingState(h, def, artifacts);
  if (def.kind === 'better-auth') return betterAuthState(h, def, opts);
  return contractState(h, def, opts);
}
