/**
 * Our own Redis Cluster for the cluster test: three masters (no replicas) on
 * free loopback ports, each an OwnRedis with cluster mode on, joined with
 * `redis-cli --cluster create`. Never the shared Redis on 6379.
 */
import { Redis } from 'ioredis';
import { OwnRedis } from './own-redis.js';
import { run, waitFor } from './shared.js';

export class OwnRedisCluster {
  readonly masters = [0, 1, 2].map(
    () =>
      new OwnRedis({
        args: () => [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
        ],
      }),
  );

  /** TESSERA_REDIS_CLUSTER_NODES for this cluster. */
  get nodeList(): string[] {
    return this.masters.map((m) => `127.0.0.1:${m.port}`);
  }

  /** Starts the three servers, assigns the 16384 slots and waits for `cluster_state:ok` on each. */
  async start(): Promise<void> {
    await Promise.all(this.masters.map((m) => m.start()));
    const r = await run('redis-cli', ['--cluster', 'create', ...this.nodeList, '--cluster-yes'], {
      timeoutMs: 30_000,
    });
    if (r.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${r.out}`);
    const ok = await waitFor(
      async () => {
        for (const m of this.masters) {
          const c = new Redis({ host: '127.0.0.1', port: m.port, lazyConnect: true });
          c.on('error', () => {});
          try {
            await c.connect();
            if (!String(await c.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
          } finally {
            c.disconnect();
          }
        }
        return true;
      },
      20_000,
      200,
    );
    if (!ok) throw new Error('the Redis Cluster did not reach cluster_state:ok within 20 s');
  }

  async destroy(): Promise<void> {
    for (const m of this.masters) await m.destroy();
  }
}
