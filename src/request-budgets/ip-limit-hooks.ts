import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../lib/errors.js';
import { ipKey } from '../rate-limit/ip-key.js';
import type { LimiterFactory } from '../rate-limit/limiter.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Per-IP request budget name: the security module attaches ipRateLimit(name) to the route. */
    ipRateLimit?: string;
  }
}

export interface IpRateLimitOptions {
  /** Requests per IP per window, read at each request (so it may follow a dynamic setting). */
  points: number | (() => number);
  /** @default 60 */
  durationSec?: number;
  /** Store failure (Redis down): logged, and the request goes on. */
  onStoreError?: (e: unknown) => void;
}

/**
 * A throughput guard for public endpoints: at most `points` requests per IP
 * (IPv6 per /64) per window, else 429 RATE_LIMITED with Retry-After.
 *
 * Built on rate-limiter-flexible (the team's limiter; atomic Lua in Redis,
 * shared by every node) because here wall-clock time is the right clock:
 * nothing waits out this window in tests. The brute-force policy, whose
 * windows and locks tests drive with a ManualClock, uses counters/ instead.
 * It fails open on a store error: the policy behind login fails closed.
 *
 * @example app.post('/auth/login', { onRequest: ipRateLimit(rt.limiters, 'seed000-login', { points: 120 }) }, handler)
 */
export function ipRateLimit(limiters: LimiterFactory, name: string, o: IpRateLimitOptions) {
  const durationSec = o.durationSec ?? 60;
  if (!/^[\w:./-]{1,128}$/.test(name))
    throw new Error(`ipRateLimit: bad name ${JSON.stringify(name)}`);
  if (!Number.isInteger(durationSec) || durationSec < 1)
    throw new Error('ipRateLimit: durationSec must be a positive integer');
  const points = typeof o.points === 'function' ? o.points : () => o.points as number;
  if (!(points() >= 1)) throw new Error('ipRateLimit: points must be at least 1');
  // One limiter per budget value: rebuilt only when the setting changes.
  const byPoints = new Map<number, RateLimiterAbstract>();
  const limiterFor = (p: number) => {
    let l = byPoints.get(p);
    if (!l) byPoints.set(p, (l = limiters({ name: `ip:${name}:${p}`, points: p, durationSec })));
    return l;
  };

  return async function ipRateLimitHook(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    try {
      await limiterFor(Math.max(1, Math.floor(points()))).consume(ipKey(req.ip));
    } catch (e) {
      if (e instanceof RateLimiterRes) rateLimited(e.msBeforeNext);
      o.onStoreError?.(e);
    }
  };
}
