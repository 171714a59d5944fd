import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics: Node defaults (event-loop lag percentiles included) and auth counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const httpErrors = new Counter({ name: 'tessera_http_errors_total', help: 'Error answers by code', labelNames: ['code'], registers: [registry] });
  return { registry, httpErrors };
}

export type Metrics = ReturnType<typeof createMetrics>;
