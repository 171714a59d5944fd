import { createHash } from 'node:crypto';
import type { RedisClient } from '../infra/redis.js';
import type { CounterStore, WindowResult } from './store.js';
import { windowRetryAfter } from './store.js';

/**
 * Each script reads and writes one hash `{v, e}` (value, expiry in the
 * caller's clock) or `{w, c, p}` (sliding window) atomically, so every node
 * sees one counter. Expiry is compared with the `now` the node passes in:
 * node clocks must agree to within seconds (NTP), as JWT validation already
 * requires. PEXPIRE only garbage-collects.
 */
const INCR = `
local now=tonumber(ARGV[1]) local ttl=tonumber(ARGV[2])
local e=tonumber(redis.call('HGET',KEYS[1],'e') or '0')
local v=0
if e>now then v=tonumber(redis.call('HGET',KEYS[1],'v') or '0') end
v=v+tonumber(ARGV[3])
redis.call('HSET',KEYS[1],'v',v,'e',now+ttl)
redis.call('PEXPIRE',KEYS[1],ttl)
return v`;

const ADMIT = `
local now=tonumber(ARGV[1]) local W=tonumber(ARGV[2]) local limit=tonumber(ARGV[3])
local idx=math.floor(now/W)
local h=redis.call('HMGET',KEYS[1],'w','c','p')
local w=tonumber(h[1] or idx) local c=tonumber(h[2] or '0') local p=tonumber(h[3] or '0')
if idx>w then if idx==w+1 then p=c else p=0 end c=0 w=idx end
local f=(now-w*W)/W if f<0 then f=0 end if f>1 then f=1 end
local est=p*(1-f)+c
if est+1>limit then return {0,tostring(est),p,c,w} end
c=c+1
redis.call('HSET',KEYS[1],'w',w,'c',c,'p',p)
redis.call('PEXPIRE',KEYS[1],2*W)
return {1,tostring(est+1),p,c,w}`;

const CLAIM = `
local now=tonumber(ARGV[1])
local e=tonumber(redis.call('HGET',KEYS[1],'e') or '0')
if e>now then return 0 end
redis.call('HSET',KEYS[1],'v',1,'e',now+tonumber(ARGV[2]))
redis.call('PEXPIRE',KEYS[1],ARGV[2])
return 1`;

/** EVALSHA with a fallback to EVAL the first time a Redis has not seen the script. */
function script(redis: RedisClient, body: string) {
  const sha = createHash('sha1').update(body).digest('hex');
  return async (key: string, ...args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, 1, key, ...args);
    } catch (e) {
      if (!String((e as Error).message).includes('NOSCRIPT')) throw e;
      return redis.eval(body, 1, key, ...args);
    }
  };
}

/** Shared counters for multi-node mode; every key under `prefix`. */
export function createRedisCounters(redis: RedisClient, prefix: string): CounterStore {
  const k = (key: string) => `${prefix}${key}`;
  const incr = script(redis, INCR);
  const admit = script(redis, ADMIT);
  const claim = script(redis, CLAIM);

  return {
    async incr(key, ttlMs, now, by = 1) {
      return Number(await incr(k(key), now, Math.max(1, Math.ceil(ttlMs)), by));
    },
    async peek(key, now) {
      const [v, e] = await redis.hmget(k(key), 'v', 'e');
      if (v === null || e === null || Number(e) <= now) return undefined;
      return { value: Number(v), expiresAt: Number(e) };
    },
    async put(key, value, expiresAt, now) {
      if (expiresAt <= now) {
        await redis.del(k(key));
        return;
      }
      await redis
        .multi()
        .hset(k(key), 'v', value, 'e', expiresAt)
        .pexpire(k(key), Math.ceil(expiresAt - now))
        .exec();
    },
    async del(...keys) {
      // One DEL per key (pipelined: one round trip): the keys of one call
      // (an account's counters and locks) need not share a Redis Cluster slot,
      // and no caller needs them removed atomically.
      await Promise.all(keys.map((key) => redis.del(k(key))));
    },
    async admit(key, limit, windowMs, now): Promise<WindowResult> {
      const r = (await admit(k(key), now, windowMs, limit)) as [
        number,
        string,
        number,
        number,
        number,
      ];
      const [ok, est, p, c, w] = r;
      if (ok === 1) return { admitted: true, count: Number(est), retryAfterMs: 0 };
      return {
        admitted: false,
        count: Number(est),
        retryAfterMs: windowRetryAfter(
          Number(p),
          Number(c),
          limit,
          Number(w) * windowMs,
          windowMs,
          now,
        ),
      };
    },
    async addDistinct(key, member, windowMs, now) {
      const wk = k(`${key}:${Math.floor(now / windowMs)}`);
      const res = await redis
        .multi()
        .sadd(wk, member)
        .pexpire(wk, 2 * windowMs)
        .scard(wk)
        .exec();
      const last = res?.[2];
      if (!last || last[0]) throw last?.[0] ?? new Error('redis transaction failed');
      return Number(last[1]);
    },
    async countDistinct(key, windowMs, now) {
      return redis.scard(k(`${key}:${Math.floor(now / windowMs)}`));
    },
    async claim(key, ttlMs, now) {
      return Number(await claim(k(key), now, Math.max(1, Math.ceil(ttlMs)))) === 1;
    },
  };
}
