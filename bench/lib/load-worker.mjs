// Load-generator process (pinned to its own core by load.mjs): runs one autocannon run
// described by a JSON spec file and prints a summary as JSON on stdout.
import { readFileSync, writeFileSync } from 'node:fs';
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
/** With `collectFile`, every minted access token is kept; with `liveFile`, the live refresh tokens at the end. */
function makeChain(chain) {
  const queue = lines(chain.file);
  const minted = [];
  let lost = 0;
  return {
    setup(req) {
      const token = queue.shift() ?? `exhausted-${lost++}`;
      req.body = JSON.stringify({ refresh_token: token });
    },
    onResponse(status, body) {
      if (status !== 200) return;
      try {
        const data = JSON.parse(body).data;
        queue.push(data.refresh_token);
        if (chain.collectFile) minted.push(data.access_token);
      } catch {
        /* counted by autocannon as a 2xx with a body we could not use */
      }
    },
    save() {
      if (chain.collectFile) writeFileSync(chain.collectFile, `${minted.join('\n')}\n`);
      if (chain.liveFile) writeFileSync(chain.liveFile, `${queue.join('\n')}\n`);
    },
  };
}

/** Keeps `access<TAB>refresh` of every successful login, for later scenarios. */
function makeCollector(file) {
  const rows = [];
  return {
    onResponse(status, body) {
      if (status !== 200) return;
      try {
        const d = JSON.parse(body).data;
        if (d?.access_token && d.refresh_token) rows.push(`${d.access_token}\t${d.refresh_token}`);
      } catch {
        /* not the contract's shape (Better Auth): nothing to keep */
      }
    },
    save: () => writeFileSync(file, `${rows.join('\n')}\n`),
  };
}

const varies = (spec.vary ?? []).map(makeVaryFn);
const chain = spec.chain ? makeChain(spec.chain) : spec.collectSessions ? makeCollector(spec.collectSessions) : undefined;
const request = {
  method: spec.method ?? 'GET',
  path: spec.path,
  headers: spec.headers ?? {},
  body: spec.body,
};
if (varies.length || chain?.setup) {
  request.setupRequest = (req) => {
    for (const fn of varies) fn(req);
    chain?.setup?.(req);
    return req;
  };
}
if (chain) request.onResponse = chain.onResponse;

let cpuStart = process.cpuUsage();
const t0 = process.hrtime.bigint();
let startAt = t0;
let lastAt = t0;
const bound = spec.amount ? { amount: spec.amount } : { duration: spec.duration };
const result = await new Promise((resolve, reject) => {
  const tracker = autocannon(
    { url: spec.url, connections: spec.connections ?? 50, pipelining: 1, ...bound, timeout: spec.timeout ?? 10, requests: [request] },
    (err, res) => (err ? reject(err) : resolve(res)),
  );
  // autocannon only notices the end of a count-bounded run on its 1 s tick: time the last answer instead.
  // 'start' fires once the clients are built: time (and the generator's CPU) from there.
  tracker.once('start', () => {
    startAt = process.hrtime.bigint();
    cpuStart = process.cpuUsage();
  });
  tracker.on('response', () => {
    lastAt = process.hrtime.bigint();
  });
});
const wallS = Number(lastAt - startAt) / 1e9;
const cpu = process.cpuUsage(cpuStart);
chain?.save();

const statusCodes = {};
for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count.count;
const done = result.requests.total;
process.stdout.write(
  JSON.stringify({
    setupS: Number(startAt - t0) / 1e9,
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
