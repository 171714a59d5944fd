import type { Logger } from 'pino';

/** An external dependency whose outage Tessera expects and answers with 503. */
export type Dependency = 'postgres' | 'redis' | 'sqlite';

export interface DependencyHealth {
  /**
   * A call to `dep` failed because the dependency is unreachable. The first
   * report of an outage logs one warning (`dependency unavailable`); later
   * reports only count, until the dependency is back.
   */
  failed(dep: Dependency, err?: unknown): void;
  /** `dep` answered again: logs `dependency recovered` once if it was down. */
  recovered(dep: Dependency): void;
  isDown(dep: Dependency): boolean;
  /** Dependencies currently down. */
  down(): Dependency[];
  /** Failures reported per dependency since start (a metric). */
  failures(dep: Dependency): number;
  /**
   * A probe the tracker runs every `everyMs` while `dep` is down; its first
   * success marks the dependency recovered. Redis also calls recovered()
   * from its connection's 'ready', and has a probe for the outages a command
   * reports without the connection closing (infra/redis.ts).
   */
  setProbe(dep: Dependency, probe: () => Promise<unknown>): void;
  stop(): void;
}

/**
 * Outage bookkeeping for the cluster's dependencies (docs/reliability.md):
 * one warning when an outage starts and one when it ends, however many
 * requests fail in between, and no `unhandled error` lines for a known
 * outage. Failing requests answer 503 UNAVAILABLE with Retry-After.
 */
export function createDependencyHealth(
  log: Pick<Logger, 'warn'>,
  opts: { probeEveryMs?: number } = {},
): DependencyHealth {
  const everyMs = opts.probeEveryMs ?? 1000;
  const since = new Map<Dependency, number>();
  const counts = new Map<Dependency, number>();
  const probes = new Map<Dependency, () => Promise<unknown>>();
  const timers = new Map<Dependency, NodeJS.Timeout>();
  let stopped = false;

  function schedule(dep: Dependency): void {
    const probe = probes.get(dep);
    if (!probe || timers.has(dep) || stopped) return;
    const t = setTimeout(() => {
      timers.delete(dep);
      if (!since.has(dep)) return;
      probe().then(
        () => api.recovered(dep),
        () => schedule(dep),
      );
    }, everyMs);
    t.unref();
    timers.set(dep, t);
  }

  const api: DependencyHealth = {
    failed(dep, err) {
      counts.set(dep, (counts.get(dep) ?? 0) + 1);
      if (since.has(dep) || stopped) return;
      since.set(dep, Date.now());
      const reason =
        err instanceof Error ? err.message : err === undefined ? undefined : String(err);
      log.warn({ dep, reason }, 'dependency unavailable');
      schedule(dep);
    },
    recovered(dep) {
      const at = since.get(dep);
      if (at === undefined) return;
      since.delete(dep);
      const t = timers.get(dep);
      if (t) clearTimeout(t);
      timers.delete(dep);
      log.warn({ dep, down_ms: Date.now() - at }, 'dependency recovered');
    },
    isDown: (dep) => since.has(dep),
    down: () => [...since.keys()],
    failures: (dep) => counts.get(dep) ?? 0,
    setProbe(dep, probe) {
      probes.set(dep, probe);
      if (since.has(dep)) schedule(dep);
    },
    stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
  return api;
}

const PG_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/**
 * What a Sentinel failover or a Cluster's resharding answers while it lasts
 * (decision 0013): the Sentinels have no master for us yet, the server we
 * reached is (now) a replica or still loading, the Cluster has no owner for
 * the slot yet. A short outage, not a bug: 503, and the connection follows.
 */
const REDIS_FAILOVER =
  /^(All sentinels are unreachable|READONLY |LOADING |MASTERDOWN |NOREPLICAS |CLUSTERDOWN |TRYAGAIN |Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections)/;

/**
 * Which dependency an error says is unreachable, or null when it is not an
 * outage (a bug, a constraint violation: those stay 500 / their own code).
 * pg reports connection loss with socket codes, SQLSTATE class 08
 * (connection exception) or 57P0x (server shutting down); ioredis with its
 * own messages once a command cannot be sent or answered.
 */
export function outageOf(err: unknown): Dependency | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & { code?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.name === 'MaxRetriesPerRequestError' || e.name === 'ClusterAllFailedError') return 'redis';
  if (
    /^(Connection is closed|Stream isn't writeable|Command timed out|Redis is not ready)/.test(
      e.message,
    ) ||
    REDIS_FAILOVER.test(e.message)
  )
    return 'redis';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_IOERR' || code === 'SQLITE_FULL') return 'sqlite';
  if (PG_CONNECTION_CODES.has(code) || code.startsWith('08')) return 'postgres';
  if (
    /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection)/.test(
      e.message,
    )
  )
    return 'postgres';
  return null;
}
