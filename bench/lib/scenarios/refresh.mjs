// Scenario 3: refresh-token rotation; each request presents a live refresh token exactly once
// (a shared queue in the load generator: every answer's successor goes back in).
import { writeLines } from '../mint.mjs';

const CONNECTIONS = 16;

export const refresh = {
  id: 'refresh',
  title: 'Refresh: rotation, each refresh token used once',
  contenders: ['tessera', 'tessera-multi', 'express'],
  async prepare(h, def, state, { opts }) {
    // Fresh sessions for every run (warm-up included): a chain dies with its run.
    const seeds = [];
    for (let i = -1; i < opts.repeats; i++) seeds.push(writeLines(h.tmp, `refresh-seeds-${i + 1}.txt`, await state.refreshSeeds(CONNECTIONS * 2)));
    return {
      cpus: '0',
      specFor: (i) => ({
        url: h.url,
        method: 'POST',
        path: h.client.refreshPath,
        headers: { 'content-type': 'application/json' },
        connections: CONNECTIONS,
        duration: opts.durationS,
        chain: { file: seeds[i + 1] },
      }),
    };
  },
};
