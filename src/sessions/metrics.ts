import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import type { RevocationList } from './revocation.js';
import type { SessionTable } from './table.js';

/** The live-sessions count is a SQL count: at most one per this, whatever the scrape rate. */
const LIVE_COUNT_EVERY_MS = 30_000;

/**
 * The sessions' series, read at scrape time from what the node already holds:
 * the hot path's session table and revocation set (in memory, per node), and
 * the live sessions of the deployment (SQL, counted at most every 30 s; while
 * the database is down the last count stays).
 */
export function registerSessionMetrics(
  registry: Registry,
  d: {
    table: SessionTable;
    revocations: RevocationList;
    liveCount: (now: number) => Promise<number>;
    clock: Clock;
    onError: (e: unknown) => void;
  },
): void {
  new Gauge({
    name: 'tessera_session_table_entries',
    help: "This node's session table (the hot path's session check), by state: live (known live) or refused (known ended or not the token's)",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = d.table.size();
      this.set({ state: 'live' }, s.live);
      this.set({ state: 'refused' }, s.refused);
    },
  });
  new Gauge({
    name: 'tessera_revocation_set_entries',
    help: "This node's in-memory revocation set, by kind: sid (ended sessions), jti (denied tokens), user (users whose older tokens are refused)",
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const s = d.revocations.size();
      this.set({ kind: 'sid' }, s.sids);
      this.set({ kind: 'jti' }, s.jtis);
      this.set({ kind: 'user' }, s.users);
    },
  });
  let counted = -Infinity;
  let live = 0;
  new Gauge({
    name: 'tessera_sessions_live',
    help: 'Sessions not ended and not past their absolute end, every tenant (SQL, counted at most every 30 s)',
    registers: [registry],
    async collect() {
      const now = d.clock.now();
      if (now - counted >= LIVE_COUNT_EVERY_MS) {
        try {
          live = await d.liveCount(now);
          counted = now;
        } catch (e) {
          d.onError(e);
        }
      }
      this.set(live);
    },
  });
}
