import type { Metric, Registry } from 'prom-client';

/** One labelled series of a histogram: what the hot path holds on to. */
export interface HistogramChild {
  /** Records one value (seconds): a bucket scan and three additions, no allocation. */
  observe(value: number): void;
}

export interface FastHistogram {
  /** The series of these label values, created once and kept (cache the result). */
  child(...values: string[]): HistogramChild;
}

interface Series {
  labels: Record<string, string>;
  /** Per bucket, not cumulative (the scrape adds them up), then +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** Latency buckets in seconds: 0.5 ms to 10 s, fine where an auth server's answers live. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/**
 * A Prometheus histogram whose labelled series cost nothing per observation
 * but the bucket scan. prom-client's own `labels(...).observe(v)` validates
 * and hashes the label object again on every call (lib/histogram.js
 * `observe`), which is most of its cost; here a series is looked up once and
 * kept by the caller. The exposition (`get`) is prom-client's shape, so the
 * registry renders it like its own histograms (decision 0022).
 */
export function createFastHistogram(o: {
  name: string;
  help: string;
  labelNames?: readonly string[];
  buckets?: readonly number[];
  registry: Registry;
}): FastHistogram {
  const labelNames = o.labelNames ?? [];
  const bounds = o.buckets ?? LATENCY_BUCKETS;
  const all = new Map<string, Series>();

  function child(...values: string[]): HistogramChild {
    const key = values.join('\u0000');
    let s = all.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      s = { labels, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
      all.set(key, s);
    }
    const series = s;
    return {
      observe(v) {
        let i = 0;
        while (i < bounds.length && v > bounds[i]!) i++;
        series.counts[i]!++;
        series.sum += v;
        series.count++;
      },
    };
  }

  const metric = {
    name: o.name,
    help: o.help,
    type: 'histogram',
    aggregator: 'sum',
    get: () => {
      const values: {
        metricName: string;
        labels: Record<string, string | number>;
        value: number;
      }[] = [];
      for (const s of all.values()) {
        let acc = 0;
        for (let i = 0; i <= bounds.length; i++) {
          acc += s.counts[i]!;
          const le = i < bounds.length ? bounds[i]! : '+Inf';
          values.push({ metricName: `${o.name}_bucket`, labels: { ...s.labels, le }, value: acc });
        }
        values.push({ metricName: `${o.name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${o.name}_count`, labels: s.labels, value: s.count });
      }
      return Promise.resolve({
        name: o.name,
        help: o.help,
        type: 'histogram',
        values,
        aggregator: 'sum',
      });
    },
    reset: () => {
      for (const s of all.values()) {
        s.counts.fill(0);
        s.sum = 0;
        s.count = 0;
      }
    },
  };
  // The registry renders any object with name, help, type and get() (prom-client
  // lib/registry.js getMetricsAsString); its typings only name its own classes.
  o.registry.registerMetric(metric as unknown as Metric);
  return { child };
}
