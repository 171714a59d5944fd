// Command-line options: `--quick` (about a minute), `--only validate,login`, `--contenders tessera,express`,
// `--duration 10`, `--repeats 3`, `--probes 100` (logouts timed by the revocation and verifier scenarios).
const FULL = {
  mode: 'full',
  durationS: 10,
  warmupS: 1,
  repeats: 3,
  connections: 64,
  users: 200,
  sessions: 500, // distinct sessions behind the 10,000 validate tokens (20 refresh-rotated tokens each)
  tokens: 10_000,
  neverSeenPerRepeat: 10_000, // workload (b): requests per repeat, each with a token never sent before
  logoutsPerSecond: 50,
  revocationProbes: 100,
  wsTarget: 19_000,
  contenders: undefined, // all
};

const QUICK = {
  ...FULL,
  mode: 'quick',
  durationS: 2,
  warmupS: 1,
  repeats: 1,
  users: 20,
  sessions: 50,
  tokens: 2_000,
  neverSeenPerRepeat: 4_000,
  revocationProbes: 10,
  wsTarget: 2_000,
  // Quick mode drops the variants: no HS256, no multi-node.
  contenders: ['tessera', 'express', 'better-auth', 'bare', 'crypto-rs'],
};

export function parseOptions(argv) {
  const opts = argv.includes('--quick') ? { ...QUICK } : { ...FULL };
  const value = (name) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name, key) => {
    const v = value(name);
    if (v !== undefined) {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
      opts[key] = n;
    }
  };
  num('duration', 'durationS');
  num('repeats', 'repeats');
  num('warmup', 'warmupS');
  num('ws', 'wsTarget');
  num('probes', 'revocationProbes');
  if (value('only')) opts.only = value('only').split(',');
  if (value('contenders')) opts.contenders = value('contenders').split(',');
  return opts;
}
