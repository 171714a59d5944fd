import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '../../test-support/redis.js';
import { haveRedis } from '../../test-support/services.js';
import type { OnlineUser } from '../types.js';
import { createRedisPresenceStore } from './redis.js';

const u = (id: string, type = 'kefu'): OnlineUser => ({
  user_id: id,
  username: `n${id}`,
  user_type: type,
  since: 1000,
});

/** @see issue 5 — per-node entries with a TTL: a crashed node's users do not stay online. */
describe.runIf(haveRedis())('Redis presence store', () => {
  let r: TestRedis;
  beforeAll(async () => {
    r = await createTestRedis('presence');
  });
  afterAll(async () => {
    await r?.cleanup();
  });

  it('reports cluster-wide transitions only', async () => {
    const a = createRedisPresenceStore(r.redis, { prefix: `${r.prefix}t1:`, nodeId: 'A' });
    const b = createRedisPresenceStore(r.redis, { prefix: `${r.prefix}t1:`, nodeId: 'B' });
    expect(await a.join(u('1'))).toBe(true);
    expect(await b.join(u('1'))).toBe(false);
    expect(await a.leave('1')).toBe(false);
    expect(await b.leave('1')).toBe(true);
    expect(await a.list()).toEqual([]);
  });

  it('drops a crashed node from listings after its TTL and announces its users offline once', async () => {
    const prefix = `${r.prefix}t2:`;
    const crashed = createRedisPresenceStore(r.redis, { prefix, nodeId: 'dead', ttlMs: 150 });
    const live = createRedisPresenceStore(r.redis, { prefix, nodeId: 'live', ttlMs: 10_000 });
    await crashed.join(u('7'));
    await crashed.join(u('8'));
    await live.join(u('8'));
    expect((await live.list()).map((x) => x.user_id).sort()).toEqual(['7', '8']);
    await new Promise((res) => setTimeout(res, 300)); // the crashed node never refreshes
    expect((await live.list()).map((x) => x.user_id)).toEqual(['8']);
    const gone = await live.keepAlive([u('8')]);
    expect(gone.map((x) => x.user_id)).toEqual(['7']);
    expect(await live.keepAlive([u('8')])).toEqual([]);
    expect(await r.redis.exists(`${prefix}{presence}:node:dead`)).toBe(0);
  });

  it('rewrites its own entries when Redis lost them', async () => {
    const prefix = `${r.prefix}t3:`;
    const s = createRedisPresenceStore(r.redis, { prefix, nodeId: 'n' });
    await s.join(u('5'));
    await r.redis.del(`${prefix}{presence}:node:n`);
    expect(await s.list()).toEqual([]);
    await s.keepAlive([u('5')]);
    expect((await s.list()).map((x) => x.user_id)).toEqual(['5']);
    expect((await s.close()).map((x) => x.user_id)).toEqual(['5']);
  });
});
