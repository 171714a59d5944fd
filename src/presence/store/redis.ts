import type { RedisClient } from '../../infra/redis.js';
import type { OnlineUser } from '../types.js';
import { CLOSE, JOIN, KEEP_ALIVE, LEAVE, LIST } from './redis-scripts.js';
import type { PresenceStore } from './store.js';

export interface RedisPresenceOptions {
  /** Deployment key prefix (config redisPrefix). */
  prefix: string;
  /** This node's id, unique per process start. */
  nodeId: string;
  /**
   * How long this node's entries survive without a keep-alive. Readers ignore
   * (and the next keep-alive of any node reaps) a node silent for longer.
   * @default 15000
   */
  ttlMs?: number;
}

function encode(u: OnlineUser): string {
  return JSON.stringify({
    t: u.user_type,
    n: u.username,
    s: u.since,
    ...(u.tenant ? { k: u.tenant } : {}),
  });
}

function decode(id: string, raw: string): OnlineUser | null {
  try {
    const v = JSON.parse(raw) as { t?: unknown; n?: unknown; s?: unknown; k?: unknown };
    if (typeof v.t !== 'string' || typeof v.n !== 'string' || typeof v.s !== 'number') return null;
    return {
      user_id: id,
      user_type: v.t,
      username: v.n,
      since: v.s,
      ...(typeof v.k === 'string' ? { tenant: v.k } : {}),
    };
  } catch {
    return null;
  }
}

function pairs(flat: unknown): OnlineUser[] {
  const out: OnlineUser[] = [];
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const u = decode(String(flat[i]), String(flat[i + 1]));
    if (u) out.push(u);
  }
  return out;
}

/**
 * Multi-node presence: one hash per node plus a liveness key with a TTL, so a
 * crashed node's users drop out of every listing within `ttlMs` and are
 * announced offline by whichever node reaps it first.
 */
export function createRedisPresenceStore(
  redis: RedisClient,
  o: RedisPresenceOptions,
): PresenceStore {
  // Every key of the store under one hash tag, so each script's keys share a
  // slot on a Redis Cluster (redis-scripts.ts); the set of nodes is the key
  // each script names, which routes it to that slot's server.
  const p = `${o.prefix}{presence}:`;
  const ttl = String(o.ttlMs ?? 15_000);
  const nodeKey = `${p}node:${o.nodeId}`;
  const nodes = `${p}nodes`;
  const run = (script: string, ...args: string[]) =>
    redis.eval(script, 1, nodes, p, o.nodeId, ...args);

  return {
    async join(u) {
      return (await run(JOIN, u.user_id, encode(u), ttl)) === 1;
    },
    async leave(id) {
      return (await run(LEAVE, id)) === 1;
    },
    async list() {
      const seen = new Map<string, OnlineUser>();
      for (const u of pairs(await redis.eval(LIST, 1, nodes, p))) {
        const prev = seen.get(u.user_id);
        if (!prev || u.since < prev.since) seen.set(u.user_id, u);
      }
      return [...seen.values()];
    },
    async keepAlive(local) {
      const [len, gone] = (await run(KEEP_ALIVE, ttl)) as [number, unknown];
      if (len !== local.length) {
        // Lost our entries (Redis restarted, or we were presumed dead after a
        // long pause): write them back from the authoritative local state.
        const m = redis.multi().del(nodeKey);
        if (local.length) m.hset(nodeKey, ...local.flatMap((u) => [u.user_id, encode(u)]));
        await m.pexpire(nodeKey, 4 * Number(ttl)).exec();
      }
      return pairs(gone);
    },
    async close() {
      return pairs(await run(CLOSE));
    },
  };
}
