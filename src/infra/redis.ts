import { Redis } from 'ioredis';
import type { DependencyHealth } from './health.js';

export interface RedisOptions {
  /**
   * Fail commands at once while disconnected instead of queueing them
   * (ioredis' offline queue). The command connection does: a request during a
   * Redis outage gets its answer (a fallback or 503) in milliseconds, not
   * after retries. The subscriber keeps the queue so its subscriptions are
   * sent as soon as the connection is up, and so do tools and tests that
   * issue commands right after connecting. @default false
   */
  failFast?: boolean;
  /** Told when the connection drops and when it is ready again. */
  health?: DependencyHealth;
}

/** Opens a Redis connection; reconnection is automatic. */
export function createRedis(url: string, name: string, opts: RedisOptions = {}): Redis {
  const failFast = opts.failFast ?? false;
  const r = new Redis(url, {
    connectionName: `tessera:${name}`,
    maxRetriesPerRequest: failFast ? 0 : 2,
    enableOfflineQueue: !failFast,
    // A Redis that accepts the connection but does not answer (paused, swapping).
    commandTimeout: 1000,
    connectTimeout: 2000,
    enableAutoPipelining: true,
    lazyConnect: false,
    // Reconnect quickly: an outage ends for us 100-500 ms after Redis is back.
    retryStrategy: (times) => Math.min(100 * times, 500),
  });
  let wasReady = false;
  // Errors are reported by the 'error' event; without a listener ioredis would
  // print them as unhandled. The health tracker logs the outage once.
  r.on('error', (err: Error) => {
    if (wasReady) opts.health?.failed('redis', err);
  });
  r.on('close', () => {
    if (wasReady) opts.health?.failed('redis', new Error(`connection ${name} closed`));
  });
  r.on('ready', () => {
    wasReady = true;
    opts.health?.recovered('redis');
  });
  return r;
}

/** Resolves when the connection is ready (commands fail fast before that). */
export function redisReady(r: Redis, timeoutMs = 5000): Promise<void> {
  if (r.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(t);
      r.off('ready', onReady);
    };
    r.on('ready', onReady);
  });
}
