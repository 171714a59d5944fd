// Scenario 2: sign-in with the right password, users rotated. The server may use both cores here
// (hashing runs on libuv's thread pool); autocannon stays on core 1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventLoopHooks } from '../eventloop.mjs';
import { hashCost } from '../hashcost.mjs';
import { writeLines } from '../mint.mjs';

// Twice libuv's default 4 threads: enough to keep every hashing thread busy, small enough that the
// backlog left by a finished run (hashes cannot be cancelled) drains within the settle pause.
const CONNECTIONS = 8;

export const login = {
  id: 'login',
  title: 'Login: correct password, users rotated (server on both cores)',
  contenders: ['tessera', 'tessera-multi', 'express', 'better-auth'],
  async prepare(h, def, state, { opts }) {
    const users = await state.users();
    const bodies = writeLines(h.tmp, 'login-bodies.txt', users.map((u) => h.client.loginBody(u)));
    const vary = [{ kind: 'body-from-file', file: bodies }];
    if (h.client.xff) vary.push({ kind: 'xff' });
    const headers = { 'content-type': 'application/json', origin: h.url };
    return {
      cpus: '0,1',
      settleMs: 1000,
      hooks: eventLoopHooks(h, def),
      specFor: (i) => ({
        url: h.url,
        method: 'POST',
        path: h.client.loginPath,
        headers,
        connections: CONNECTIONS,
        duration: opts.durationS,
        vary,
        // The sessions this storm creates serve later as refresh seeds and logout targets.
        collectSessions: state.addSpareSessions ? join(h.tmp, `login-sessions-${i + 1}.tsv`) : undefined,
      }),
      async finalize(r) {
        for (let i = 0; i <= opts.repeats; i++) {
          const file = join(h.tmp, `login-sessions-${i}.tsv`);
          if (state.addSpareSessions && existsSync(file)) state.addSpareSessions(file);
        }
        const hash = await hashCost(def.kind);
        const loginsPerS = r.ok2xx / r.durationS;
        // logins/s × one hash's seconds = cores' worth of hashing sustained (2 is the most on 2 cores).
        return { loginsPerS, hash, hashCoresBusy: hash?.ms ? (loginsPerS * hash.ms) / 1000 : undefined };
      },
    };
  },
};
