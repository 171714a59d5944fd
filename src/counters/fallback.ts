import { outageOf, type DependencyHealth } from '../infra/health.js';
import type { CounterStore } from './store.js';

export interface FallbackCounters extends CounterStore {
  /** True while answers come from this node's memory (Redis is down). */
  degraded(): boolean;
}

/**
 * The shared (Redis) counters with this node's memory behind them. While
 * Redis is down (known from the connection's own events, or from a command
 * that fails with an outage error) every call goes to memory at once: a
 * login during a Redis outage costs no wait, and brute-force protection keeps
 * counting, per node, with the stricter thresholds of `degradedPolicy`
 * (docs/reliability.md). Errors that are not outages propagate.
 */
export function createFallbackCounters(
  primary: CounterStore,
  fallback: CounterStore,
  health: DependencyHealth,
): FallbackCounters {
  const wrap =
    <A extends unknown[], R>(fn: (s: CounterStore) => (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (health.isDown('redis')) return fn(fallback)(...args);
      try {
        return await fn(primary)(...args);
      } catch (e) {
        if (outageOf(e) !== 'redis') throw e;
        health.failed('redis', e);
        return fn(fallback)(...args);
      }
    };
  return {
    incr: wrap((s) => s.incr),
    peek: wrap((s) => s.peek),
    put: wrap((s) => s.put),
    del: wrap((s) => s.del),
    admit: wrap((s) => s.admit),
    addDistinct: wrap((s) => s.addDistinct),
    countDistinct: wrap((s) => s.countDistinct),
    claim: wrap((s) => s.claim),
    degraded: () => health.isDown('redis'),
    async close() {
      await primary.close?.();
      await fallback.close?.();
    },
  };
}
