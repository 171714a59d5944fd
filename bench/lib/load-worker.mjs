// Load-generator process (pinned to its own core by load.mjs): runs one autocannon run
// described by a JSON spec file and prints a summary as JSON on stdout.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const lines = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** Each `vary` entry mutates a request just before it is sent; counters are shared by all connections. */
function makeVaryFn(v) {
  let i = v.start ?? 0;
  switch (v.kind) {
    case 'header-from-file': {
      const values = lines(v.file);
      return (req) => {
        req.headers[v.header] = v.prefix + values[i++ % values.length];
      };
    }
    case 'body-from-file': {
      const values = lines(v.file);
      return (req) => {
        req.body = values[i++ % values.length];
      };
    }
    case 'unique-header':
      return (req) => {
        req.headers[v.header] = `${v.prefix}${process.pid}-${i++}`;
      };
    case 'xff':
      return (req) => {
        const n = i++;
        req.headers['x-forwarded-for'] = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      };
    default:
      throw new Error(`unknown vary kind ${v.kind}`);
  }
}

/** Refresh rotation: a shared queue of live refresh tokens; each answer puts its successor back. */
function makeChain(chain) {
  const queue = lines(chain.file);
  let lost = 0;
  return {
    setup(req) {
      const token = queue.shift() ?? `exhausted-${lost++}`;
      req.body = JSON.stringify({ refresh_token: token });
    },
    onResponse(status, body) {
      if (status !== 200) return;
      try {
        queue.push(JSON.parse(body).data.refresh_token);
      } catch {
        /* counted by autocannon as a 2xx with a body we could not use */
      }
    },
  };
}

const varies = (spec.vary ?? []).map(makeVaryFn);
const chain = spec.chain ? makeChain(spec.chain) : undefined;
const request = {
  method: spec.method ?? 'GET',
  path: spec.path,
  headers: spec.headers ?? {},
  body: spec.body,
};
if (varies.length || chain) {
  request.setupRequest = (req) => {
    for (const fn of varies) fn(req);
    chain?.setup(req);
    return req;
  };
}
if (chain) request.onResponse = chain.onResponse;

const cpuStart = process.cpuUsage();
const t0 = process.hrtime.bigint();
const bound = spec.amount ? { amount: spec.amount } : { duration: spec.duration };
const result = await autocannon({
  url: spec.url,
  connections: spec.connections ?? 50,
  pipelining: 1,
  ...bound,
  timeout: spec.timeout ?? 10,
  requests: [request],
});
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpuStart);

const statusCodes = {};
for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count.count;
const done = result.requests.total;
process.stdout.write(
  JSON.stringify({
    requests: done,
    durationS: wallS,
    rps: done / wallS,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    clientCpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 100),
  }),
);
