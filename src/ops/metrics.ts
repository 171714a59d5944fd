import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { createFastHistogram } from './histogram.js';

/** Pub/sub lag buckets: a message crosses Redis in about a millisecond; seconds mean trouble. */
const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** SQL and Redis: most statements and commands answer well under a millisecond. */
const IO_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

/**
 * The node's Prometheus registry and the core's own series: Node defaults (event-loop lag
 * percentiles included), HTTP requests by route, SQL and Redis latency, pub/sub lag, errors
 * and failed background steps. Each domain registers its own series on `registry` from its
 * feature or service (sessions/metrics.ts, tokens/metrics.ts, login/metrics.ts, presence/,
 * login-keys/, brute-force/, mail/, alerts/): docs/metrics.md lists them all.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const httpErrors = new Counter({
    name: 'tessera_http_errors_total',
    help: 'Error answers (4xx and 5xx) by HTTP status code',
    labelNames: ['code'],
    registers: [registry],
  });
  const backgroundFailures = new Counter({
    name: 'tessera_background_failures_total',
    help: 'Failed background or cluster-consistency steps (revocation poll and resync, settings/roles/keys reload, publishes, audit writes), by step and by the dependency that was down ("none" for other errors)',
    labelNames: ['step', 'dependency'],
    registers: [registry],
  });
  const http = createFastHistogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route pattern ("unmatched" when no route matched), method and status; _count is the request count',
    labelNames: ['route', 'method', 'status'],
    registry,
  });
  const sql = createFastHistogram({
    name: 'tessera_sql_query_duration_seconds',
    help: 'Time of SQL statements at the database driver (a call into the embedded engine, or a PostgreSQL query), by outcome (ok, error)',
    labelNames: ['outcome'],
    buckets: IO_BUCKETS,
    registry,
  });
  const redis = createFastHistogram({
    name: 'tessera_redis_command_duration_seconds',
    help: 'Time of Redis commands on the command connection, from sending to the answer, by outcome (ok, error)',
    labelNames: ['outcome'],
    buckets: IO_BUCKETS,
    registry,
  });
  const busLag = createFastHistogram({
    name: 'tessera_pubsub_lag_seconds',
    help: 'Time from publishing a pub/sub message (any node, its clock) to its receipt on this node (Redis bus only)',
    buckets: LAG_BUCKETS,
    registry,
  });
  return {
    registry,
    httpErrors,
    backgroundFailures,
    http,
    sql: { ok: sql.child('ok'), error: sql.child('error') },
    redis: { ok: redis.child('ok'), error: redis.child('error') },
    busLag: busLag.child(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
