// Event-loop p99 of a server over a run: Tessera's Prometheus /metrics (prom-client default
// metrics reset the histogram on every scrape), the peers' bench-only /bench/eventloop.
async function read(h, def) {
  try {
    if (def.kind === 'tessera') {
      const res = await fetch(`${h.url}/metrics`, { signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) return undefined;
      const m = (await res.text()).match(/^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m);
      return m ? Number(m[1]) : undefined;
    }
    if (def.kind === 'express' || def.kind === 'better-auth') {
      const res = await fetch(`${h.url}/bench/eventloop`, { signal: AbortSignal.timeout(5000) });
      return (await res.json()).p99_seconds;
    }
  } catch {
    /* not exposed */
  }
  return undefined;
}

/** Hooks for measure(): reset before each run, read p99 (ms) after it. */
export function eventLoopHooks(h, def) {
  return {
    before: () => read(h, def),
    after: async () => {
      const s = await read(h, def);
      return { eventLoopP99Ms: s === undefined ? undefined : s * 1000 };
    },
  };
}
