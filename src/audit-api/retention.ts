import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import { takeLease } from '../infra/secrets.js';
import { securityDb } from '../infra/tables.js';
import { createAuditQuery } from './query.js';

const DAY = 86_400_000;
/** How often a node looks; one node per period actually prunes (lease). */
const PERIOD_MS = 60 * 60_000;

export interface RetentionDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Read at each run: auditRetentionDays is a dynamic setting. */
  retentionDays: () => number;
  log: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Prunes audit rows older than auditRetentionDays. Idempotent across nodes:
 * a lease row lets one node per period do the delete, and a delete that
 * runs twice anyway removes nothing the second time.
 */
export function createAuditRetention(d: RetentionDeps) {
  const query = createAuditQuery(d.db);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function runOnce(opts: { force?: boolean } = {}): Promise<number> {
    const now = d.clock.now();
    if (!opts.force && !(await takeLease(securityDb(d.db), 'audit-retention', now, PERIOD_MS)))
      return 0;
    const n = await query.prune(now - d.retentionDays() * DAY);
    if (n) d.log.info({ pruned: n }, 'audit retention');
    return n;
  }

  return {
    runOnce,
    /** First run a minute after start, then every PERIOD_MS; the timer never holds the process open. */
    start(firstDelayMs = 60_000): void {
      const tick = () => {
        running = runOnce().catch((err: unknown) => d.log.warn({ err }, 'audit retention failed'));
        timer = setTimeout(tick, PERIOD_MS);
        timer.unref();
      };
      timer = setTimeout(tick, firstDelayMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
