import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../infra/redis.js';
import { deletePrefix } from '../test-support/redis.js';
import { haveRedis, redisUrl, uniqueName } from '../test-support/services.js';
import { waitFor } from '../test-support/auth-helpers.js';
import { createMemoryBus } from './memory.js';
import { createRedisBus } from './redis.js';

describe.skipIf(!haveRedis())('Redis bus', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  function node(prefix: string) {
    const pub = createRedis(redisUrl!, 'test-pub');
    const sub = createRedis(redisUrl!, 'test-sub');
    closers.push(() => {
      pub.disconnect();
      sub.disconnect();
    });
    return createRedisBus(pub, sub, prefix);
  }

  it('ready() resolves once a subscription made on a fresh connection is active: nothing published after it is lost', async () => {
    const prefix = `${uniqueName('bus')}:`;
    for (let round = 0; round < 5; round++) {
      const listener = node(prefix);
      const got: unknown[] = [];
      listener.subscribe(`ch${round}`, (m) => got.push(m));
      await listener.ready!();
      await node(prefix).publish(`ch${round}`, { round });
      await waitFor(() => got.length === 1, 1000);
      expect(got).toEqual([{ round }]);
    }
  });

  it('channels are isolated by prefix', async () => {
    const p1 = `${uniqueName('bus')}:`;
    const a = node(p1);
    const b = node(`${uniqueName('bus')}:`);
    const got: unknown[] = [];
    b.subscribe('x', (m) => got.push(m));
    a.subscribe('x', (m) => got.push(['a', m]));
    await Promise.all([a.ready!(), b.ready!()]);
    await a.publish('x', 1);
    await waitFor(() => got.length === 1, 1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([['a', 1]]);
    const r = createRedis(redisUrl!, 'cleanup');
    await deletePrefix(r, p1);
    r.disconnect();
  });
});

describe('memory bus', () => {
  it('delivers a copy after the publisher continues', async () => {
    const bus = createMemoryBus();
    const got: { n: number }[] = [];
    bus.subscribe('c', (m) => got.push(m as { n: number }));
    await bus.ready!();
    const msg = { n: 1 };
    await bus.publish('c', msg);
    msg.n = 2;
    await waitFor(() => got.length === 1);
    expect(got).toEqual([{ n: 1 }]);
  });
});
