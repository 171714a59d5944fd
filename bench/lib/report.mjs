// Markdown report: one table per scenario, ratios to Tessera, the targets met or missed, what was skipped.
const f0 = (x) => (x === undefined || x === null || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const f1 = (x) => (x === undefined || x === null || !Number.isFinite(x) ? (x === Infinity ? '∞' : '–') : x.toFixed(1));
const f2 = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(2));
const ok = (r) => r && !r.skipped;
/** Successful responses per second of the reported (median) run. */
export const goodRps = (r) => (ok(r) && r.durationS ? r.ok2xx / r.durationS : undefined);
const ratio = (a, b) => (a !== undefined && b ? a / b : undefined);
const CLIENT_BOUND_PCT = 95;

function throughputTable(results, id, refFor, extraCols = []) {
  const rows = results.scenarios[id];
  if (!rows) return '';
  const label = (c) => results.contenderLabels[c] ?? c;
  const head = ['Contender', '2xx/s', 'runs (req/s)', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'peak RSS MiB', 'client CPU %', 'Tessera ÷ this', ...extraCols.map((c) => c.name)];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const [c, r] of Object.entries(rows)) {
    if (!ok(r)) continue;
    const ref = rows[refFor(c)];
    const flag = r.clientCpuPct >= CLIENT_BOUND_PCT ? ' ⚠' : '';
    const cells = [
      label(c),
      f0(goodRps(r)),
      r.rpsRuns?.map(f0).join(' / ') ?? '–',
      f1(r.latencyMs?.p50),
      f1(r.latencyMs?.p99),
      f0(r.non2xx),
      f0(r.errors),
      f0(r.rssPeakMiB),
      `${f0(r.clientCpuPct)}${flag}`,
      f2(ratio(goodRps(ref), goodRps(r))),
      ...extraCols.map((col) => col.get(r)),
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

const refByAlg = (results) => (c) => (c.endsWith('-hs') ? 'tessera-hs' : 'tessera');

function targets(results) {
  const s = results.scenarios;
  const v = s.validate ?? {};
  const get = (sc, c) => (ok(s[sc]?.[c]) ? s[sc][c] : undefined);
  const lines = [];
  const add = (name, value, met, note = '') =>
    lines.push(`| ${name} | ${value} | ${met === undefined ? 'not measured' : met ? '**met**' : '**missed**'} | ${note} |`);
  const rVal = (c) => goodRps(v[c]);
  const withErrors = (...rs) => (rs.some((r) => r && (r.non2xx || r.errors)) ? 'errors/non-2xx present in the run' : '');
  const clientBound = (a, b) => {
    const bound = (r) => r?.clientCpuPct >= CLIENT_BOUND_PCT;
    if (bound(a) && bound(b)) return 'both rows limited by the load generator: inconclusive';
    if (bound(b)) return 'the compared row is limited by the load generator: the ratio is an upper bound';
    if (bound(a)) return 'the Tessera row is limited by the load generator: the ratio is a lower bound';
    return '';
  };
  const notes = (...xs) => xs.filter(Boolean).join('; ');
  const vs = (c, min, name) => {
    const x = ratio(rVal('tessera'), rVal(c));
    add(name, x === undefined ? '–' : `${f2(x)}×`, x === undefined ? undefined : x >= min, notes(withErrors(v.tessera, v[c]), clientBound(v.tessera, v[c])));
  };
  vs('better-auth', 10, 'Validate (10k tokens) ≥ 10× Better Auth get-session');
  vs('express', 5, 'Validate (10k tokens) ≥ 5× Express + jsonwebtoken (RS256)');
  vs('bare', 0.8, 'Validate (10k tokens) ≥ 80% of the bare route (0.80×)');
  const l = get('login', 'tessera');
  add(
    'Login ≥ 150/s on two cores, event-loop p99 < 20 ms',
    l ? `${f0(l.loginsPerS)}/s, event-loop p99 ${f1(l.eventLoopP99Ms)} ms` : '–',
    l ? l.loginsPerS >= 150 && l.eventLoopP99Ms !== undefined && l.eventLoopP99Ms < 20 : undefined,
    l && l.eventLoopP99Ms === undefined ? 'event-loop p99 not exposed (/metrics)' : withErrors(l),
  );
  const rf = get('refresh', 'tessera');
  add('Refresh ≥ 2,000 rotations/s (embedded)', rf ? `${f0(goodRps(rf))}/s` : '–', rf ? goodRps(rf) >= 2000 : undefined, withErrors(rf));
  const vf = get('verifier', 'tessera');
  add(
    'Verifier cost per token ≤ 1.2× jose jwtVerify (local key set)',
    vf ? `${f2(vf.costRatio)}× (${f1(vf.verifierUs)} vs ${f1(vf.joseUs)} µs)` : '–',
    vf ? vf.costRatio <= 1.2 : undefined,
  );
  add(
    'Logout on Tessera → refusal by the verifier, p99 < 1 s',
    vf?.refusal?.p99Ms !== undefined ? `p99 ${f1(vf.refusal.p99Ms)} ms over ${f0(vf.refusal.probes)} logouts` : '–',
    vf?.refusal?.p99Ms !== undefined ? vf.refusal.p99Ms < 1000 && !vf.refusal.neverRefused : undefined,
    vf?.refusal?.probeErrors ?? '',
  );
  const ws = get('websocket', 'tessera');
  add(
    `WebSocket ${f0(results.options.wsTarget)} connections < 8 KiB RSS each`,
    ws ? `${f0(ws.opened)} open, ${f1(ws.kibPerConnection)} KiB each` : '–',
    ws ? ws.opened >= results.options.wsTarget && ws.kibPerConnection < 8 : undefined,
    results.options.wsTarget < 19_000 ? 'quick mode: fewer than 19,000' : '',
  );
  const b = ratio(goodRps(get('validate-b', 'tessera')), goodRps(get('validate-b', 'crypto-rs')));
  add(
    'Validate (b) never-seen tokens ≥ 90% of the crypto-only ceiling',
    b === undefined ? '–' : `${f2(b)}×`,
    b === undefined ? undefined : b >= 0.9,
    clientBound(get('validate-b', 'tessera'), get('validate-b', 'crypto-rs')),
  );
  return ['| Target | Measured | Result | Note |', '| --- | --- | --- | --- |', ...lines].join('\n');
}

/** Every Tessera figure against its ceiling and each peer, from the same run. */
function ratios(results) {
  const s = results.scenarios;
  const pairs = [
    ['validate', 'tessera', ['bare', 'crypto-rs', 'express', 'better-auth', 'tessera-multi']],
    ['validate', 'tessera-hs', ['bare', 'crypto-hs', 'express-hs', 'better-auth']],
    ['validate', 'tessera-multi', ['bare', 'crypto-rs', 'express', 'better-auth']],
    ['validate-b', 'tessera', ['crypto-rs']],
    ['login', 'tessera', ['express', 'better-auth', 'tessera-multi']],
    ['refresh', 'tessera', ['express', 'tessera-multi']],
    ['revocation', 'tessera', ['express', 'tessera-multi']],
    ['revocation', 'tessera-multi', ['express']],
  ];
  const lines = ['| Scenario | Tessera variant | compared with | ratio (2xx/s) | ratio per hash cost |', '| --- | --- | --- | --- | --- |'];
  for (const [sid, t, others] of pairs) {
    const a = s[sid]?.[t];
    if (!ok(a)) continue;
    for (const o of others) {
      const b = s[sid]?.[o];
      if (!ok(b)) continue;
      const perHash = a.hashCoresBusy && b.hashCoresBusy ? `${f2(a.hashCoresBusy / b.hashCoresBusy)}×` : '';
      lines.push(`| ${sid} | ${results.contenderLabels[t]} | ${results.contenderLabels[o]} | ${f2(ratio(goodRps(a), goodRps(b)))}× | ${perHash} |`);
    }
  }
  return lines.length > 2 ? lines.join('\n') : '- no pair measured';
}

function skipped(results) {
  const out = [];
  for (const [sid, rows] of Object.entries(results.scenarios)) {
    for (const [c, r] of Object.entries(rows)) if (r.skipped) out.push(`- **${sid}** × ${results.contenderLabels[c] ?? c}: ${r.skipped}`);
  }
  if (results.notSelected.length) out.push(`- not selected in this mode: ${results.notSelected.join(', ')}`);
  return out.length ? out.join('\n') : '- nothing';
}

function loginExtras() {
  return [
    { name: 'hash', get: (r) => r.hash?.algo ?? '–' },
    { name: 'one hash ms', get: (r) => f1(r.hash?.ms) },
    { name: 'logins/s × hash s (cores hashing)', get: (r) => f2(r.hashCoresBusy) },
    { name: 'event-loop p99 ms', get: (r) => f1(r.eventLoopP99Ms) },
  ];
}

function revocationExtras() {
  return [
    { name: 'logouts ok/sent', get: (r) => `${f0(r.logoutsOk)}/${f0(r.logoutsSent)}` },
    { name: 'refused after (median / max ms)', get: (r) => `${f1(r.refusal?.medianMs)} / ${f1(r.refusal?.maxMs)}${r.refusal?.acrossNodes ? ' (other node)' : ''}` },
  ];
}

function verifierSection(results) {
  const r = results.scenarios.verifier?.tessera;
  if (!ok(r)) return '';
  const rf = r.refusal ?? {};
  return [
    `${f0(r.tokens)} distinct Tessera tokens per round, ${r.rounds} rounds alternating which goes first, in the orchestrator's process (one core); fastest round reported (interference only adds time).`,
    '',
    '| Verification | µs per token | rounds (µs) |',
    '| --- | --- | --- |',
    `| @tessera-auth/verify \`verify()\` (JWKS fetched once, revocation feed connected) | ${f1(r.verifierUs)} | ${r.verifierRunsUs.map(f1).join(' / ')} |`,
    `| jose \`jwtVerify\` with \`createLocalJWKSet\`, same pinned checks | ${f1(r.joseUs)} | ${r.joseRunsUs.map(f1).join(' / ')} |`,
    '',
    `Cost ratio (fastest rounds): **${f2(r.costRatio)}×**; of the median rounds ${f2(r.medianRatio)}×. Logout → refusal by the verifier (from sending the logout, ${f0(rf.probes)} logouts one after another, verify polled every 1 ms): p50 ${f1(rf.p50Ms)} ms, p99 ${f1(rf.p99Ms)} ms, max ${f1(rf.maxMs)} ms; p99 from the logout's answer ${f1(rf.p99FromAnswerMs)} ms; never refused: ${f0(rf.neverRefused)}.`,
  ].join('\n');
}

function websocketSection(results) {
  const rows = results.scenarios.websocket;
  if (!rows) return '';
  const out = ['| Contender | target | open | failed | connect s | RSS before MiB | RSS after MiB | KiB per connection |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const [c, r] of Object.entries(rows)) {
    if (!ok(r)) continue;
    out.push(`| ${results.contenderLabels[c]} | ${f0(r.target)} | ${f0(r.opened)} | ${f0(r.failed)}${r.firstError ? ` (${r.firstError})` : ''} | ${f1(r.connectSeconds)} | ${f0(r.rssBeforeMiB)} | ${f0(r.rssAfterMiB)} | ${f2(r.kibPerConnection)} |`);
  }
  return out.join('\n');
}

export function renderMarkdown(results) {
  const m = results.machine;
  const o = results.options;
  const sec = (id, body) => (results.scenarios[id] ? `### ${results.scenarioTitles[id]}\n\n${body}\n` : '');
  return `# Tessera benchmark: latest run

- Run: ${results.startedAt} (${o.mode}, ${results.elapsedS} s), commit ${m.gitCommit ?? '?'}
- Machine: ${m.nproc} cores, ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}, ${m.platform}
- Pinning: ${m.pinning}
- Load average (1, 5, 15 min) at start ${m.loadAvgStart}, at end ${m.loadAvgEnd}: other work on the machine shows up here
- Each measurement: ${o.warmupS} s warm-up, then ${o.repeats} × ${o.durationS} s run(s), median reported (p50/p99 from the median run); ${o.connections} connections unless noted
- "2xx/s" counts successful answers only; "Tessera ÷ this" compares with Tessera (RS256 rows with Tessera RS256, HS256 rows with Tessera HS256); ⚠ = the load generator used ≥ ${CLIENT_BOUND_PCT}% of its core, so that figure is a floor set by the client

## Targets

${targets(results)}

## Ratios (same run)

"ratio per hash cost" compares logins/s × one hash's time (cores kept busy hashing), which removes the
difference in hash strength between argon2id, bcrypt and scrypt.

${ratios(results)}

## Scenarios

${sec('validate', `${f0(results.scenarios.validate && Object.values(results.scenarios.validate).find(ok)?.tokens)} tokens per contender, cycled by all connections.\n\n${throughputTable(results, 'validate', refByAlg(results))}`)}
${sec('validate-b', `Bounded by count: ${f0(Object.values(results.scenarios['validate-b'] ?? {}).find(ok)?.tokens)} never-seen tokens per run.\n\n${throughputTable(results, 'validate-b', () => 'tessera')}`)}
${sec('login', `8 connections (2 × libuv's 4 threads), 1 s pause before each run so the previous backlog drains.\n\n${throughputTable(results, 'login', () => 'tessera', loginExtras())}`)}
${sec('refresh', `16 connections, each answer's refresh token feeds the next request.\n\n${throughputTable(results, 'refresh', () => 'tessera')}`)}
${sec('revocation', `${o.logoutsPerSecond} logouts/s in parallel with the validate load; refusal time over ${o.revocationProbes} logouts, polling right after the logout answers.\n\n${throughputTable(results, 'revocation', () => 'tessera', revocationExtras())}`)}
${sec('verifier', verifierSection(results))}
${sec('public-key', `503 = pool empty (the server refuses rather than generate a key on the request path).\n\n${throughputTable(results, 'public-key', () => 'tessera')}`)}
${sec('public-key-oaep', throughputTable(results, 'public-key-oaep', () => 'tessera'))}
${sec('websocket', websocketSection(results))}
## Skipped

${skipped(results)}
`;
}
