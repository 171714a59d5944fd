// Scenario 1: the protected route with a valid token. (a) distinct live tokens cycled;
// (b) every request carries a token never sent before (bounded by count, not time).
// Server pinned to core 0, autocannon to core 1.

/** (a): a shared counter cycles the token list, one token per request, across all connections. */
export const cycleSpec = (h, opts, tokens) => ({
  url: h.url,
  path: h.client.validate.path,
  connections: opts.connections,
  duration: opts.durationS,
  vary: [{ kind: 'header-from-file', header: h.client.validate.header, prefix: h.client.validate.prefix, file: tokens.file }],
});

/** (b): one shared counter over the pool, so no token is ever sent twice. */
const onceSpec = (h, opts, tokens) => ({
  url: h.url,
  path: h.client.validate.path,
  connections: opts.connections,
  amount: tokens.count,
  vary: [{ kind: 'header-from-file', header: h.client.validate.header, prefix: h.client.validate.prefix, file: tokens.file }],
});

export const validate = {
  id: 'validate',
  title: 'Validate (a): protected GET, distinct live tokens cycled',
  contenders: ['tessera', 'tessera-hs', 'tessera-multi', 'express', 'express-hs', 'better-auth', 'bare', 'crypto-rs', 'crypto-hs'],
  async prepare(h, def, state, { opts }) {
    const tokens = await state.tokensA();
    return {
      cpus: '0',
      specFor: () => cycleSpec(h, opts, tokens),
      finalize: () => ({ tokens: tokens.count, tokenSource: tokens.source }),
    };
  },
};

export const validateNeverSeen = {
  id: 'validate-b',
  title: 'Validate (b): every request with a token never seen before',
  contenders: ['tessera', 'crypto-rs'],
  async prepare(h, def, state, { opts }) {
    const a = await state.tokensA();
    const pools = await state.tokensB();
    return {
      cpus: '0',
      // Warm-up on already-seen tokens; each repeat then spends its own never-seen pool once.
      specFor: (i) => (i < 0 ? { ...onceSpec(h, opts, a), amount: undefined, duration: opts.warmupS } : onceSpec(h, opts, pools[i])),
      finalize: () => ({ tokens: pools[0].count, tokenSource: a.source }),
    };
  },
};
