import type { Cluster, Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface LimiterSpec {
  /** Unique name; becomes part of the key prefix. */
  name: string;
  points: number;
  durationSec: number;
  /** Seconds a key stays blocked once it has used all its points (0 = until the window ends). */
  blockSec?: number;
}

export type LimiterFactory = (spec: LimiterSpec) => RateLimiterAbstract;

/**
 * Builds counters: in process for the embedded default, in Redis (atomic Lua,
 * shared by every node) when Redis is configured.
 */
export function createLimiterFactory(
  redis: Redis | Cluster | undefined,
  prefix: string,
): LimiterFactory {
  return (spec) => {
    const opts = {
      keyPrefix: `${prefix}rl:${spec.name}`,
      points: spec.points,
      duration: spec.durationSec,
      blockDuration: spec.blockSec ?? 0,
    };
    // While Redis is not ready the limit is kept in this node's memory at once
    // (no wait for a command to fail): budgets hold per node during an outage.
    return redis
      ? new RateLimiterRedis({
          ...opts,
          storeClient: redis,
          useRedisPackage: false,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(opts),
        })
      : new RateLimiterMemory(opts);
  };
}
