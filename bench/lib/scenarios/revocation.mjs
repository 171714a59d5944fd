// Scenario 4: validate throughput while logouts run at a fixed rate in parallel, then the time
// from a logout's answer until the old token is refused (multi-node: logout on node A, poll node B).
import { sleep } from '../procs.mjs';
import { cycleSpec } from './validate.mjs';

const MAX_IN_FLIGHT = 100;
const POLL_LIMIT_MS = 5000;

/** Fires logouts at `rate`/s from `pool` until stopped; returns counts. */
function logoutLoad(client, pool, rate) {
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  const timer = setInterval(() => {
    if (inFlight >= MAX_IN_FLIGHT || pool.length === 0) return;
    inFlight++;
    sent++;
    client
      .logout(pool.pop())
      .then((good) => (good ? ok++ : failed++), () => failed++)
      .finally(() => inFlight--);
  }, 1000 / rate);
  return async () => {
    clearInterval(timer);
    while (inFlight > 0) await sleep(10);
    return { logoutsSent: sent, logoutsOk: ok, logoutsFailed: failed };
  };
}

/** Logout on `h`, then poll `probeBase` until refused; ms from the logout's answer. */
async function timeToRefusal(client, token, probeBase) {
  const before = await client.me(token, probeBase);
  if (!before.ok) return { error: `token refused before logout (${before.status})` };
  if (!(await client.logout(token))) return { error: 'logout failed' };
  const t0 = performance.now();
  let polls = 0;
  while (performance.now() - t0 < POLL_LIMIT_MS) {
    polls++;
    if (!(await client.me(token, probeBase)).ok) return { ms: performance.now() - t0, polls };
  }
  return { ms: Infinity, polls };
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

export const revocation = {
  id: 'revocation',
  title: 'Revocation: validate req/s with 50 logouts/s in parallel; time until a revoked token is refused',
  // Better Auth is left out to keep a full run under 15 min: its get-session reads the session row on
  // every request, so a sign-out is refused at once, and its validate rate is scenario 1's.
  contenders: ['tessera', 'tessera-multi', 'express'],
  async prepare(h, def, state, { opts }) {
    const tokens = await state.tokensA();
    const perRun = Math.ceil(opts.logoutsPerSecond * opts.durationS * 1.05);
    const pools = [];
    for (let i = 0; i < opts.repeats; i++) pools.push(await state.logoutPool(perRun));
    const probes = await state.logoutPool(opts.revocationProbes);
    let stop;
    return {
      cpus: '0',
      specFor: () => cycleSpec(h, opts, tokens),
      hooks: {
        before: (i) => {
          stop = logoutLoad(h.client, pools[i], opts.logoutsPerSecond);
        },
        after: () => stop(),
      },
      finalize: () => refusalTimes(h, probes),
    };
  },
};

/** Logout then poll until refused, sequentially; multi-node polls a second node on the same stores. */
async function refusalTimes(h, probes) {
  const second = h.startSecondNode ? await h.startSecondNode() : undefined;
  try {
    const probeBase = second?.url ?? h.url;
    const samples = [];
    const errors = [];
    for (const t of probes) {
      const s = await timeToRefusal(h.client, t, probeBase);
      if (s.error) errors.push(s.error);
      else samples.push(s.ms);
    }
    return {
      refusal: {
        acrossNodes: Boolean(second),
        probes: samples.length,
        probeErrors: errors.length ? `${errors.length}: ${errors[0]}` : undefined,
        medianMs: samples.length ? percentile(samples, 0.5) : undefined,
        maxMs: samples.length ? Math.max(...samples) : undefined,
        neverRefused: samples.filter((x) => x === Infinity).length,
      },
    };
  } finally {
    await second?.stop();
  }
}
