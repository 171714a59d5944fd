import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics: Node defaults (event-loop lag percentiles included) and auth counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const httpErrors = new Counter({
    name: 'tessera_http_errors_total',
    help: 'Error answers by code',
    labelNames: ['code'],
    registers: [registry],
  });
  const backgroundFailures = new Counter({
    name: 'tessera_background_failures_total',
    help: 'Failed background or cluster-consistency steps (revocation poll and resync, settings/roles/keys reload, publishes, audit writes), by step and by the dependency that was down ("none" for other errors)',
    labelNames: ['step', 'dependency'],
    registers: [registry],
  });
  return { registry, httpErrors, backgroundFailures };
}

export type Metrics = ReturnType<typeof createMetrics>;
