// Bench-only probe shared by the peers: event-loop delay p99 since the last read.
// Kept off every measured route; the real servers have no such hook, Tessera uses /metrics.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();

/** p99 in seconds since the previous call (same shape as prom-client's nodejs_eventloop_lag_p99_seconds). */
export function takeEventLoopP99() {
  const p99 = histogram.percentile(99) / 1e9;
  histogram.reset();
  return { p99_seconds: p99 };
}
