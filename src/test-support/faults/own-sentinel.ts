/**
 * Our own Redis Sentinel group for the failover test: a primary, one replica
 * (replicaof) and three Sentinels (quorum 2), each an OwnRedis on a free
 * loopback port, with a short down-after (1 s) so a killed primary is
 * replaced within seconds. Never the shared Redis on 6379.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { OwnRedis } from './own-redis.js';
import { waitFor } from './shared.js';

/** The master group name the Sentinels monitor. */
export const SENTINEL_GROUP = 'tessera-ha';
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;

/** One command on a short-lived connection (no retries, no offline queue). */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 1000,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return await r.call(args[0]!, ...args.slice(1));
  } finally {
    r.disconnect();
  }
}

export class OwnSentinelGroup {
  readonly primary = new OwnRedis();
  readonly replica: OwnRedis;
  readonly sentinels: OwnRedis[];

  constructor() {
    this.replica = new OwnRedis({
      args: () => ['--replicaof', '127.0.0.1', String(this.primary.port)],
    });
    this.sentinels = [0, 1, 2].map(
      () =>
        new OwnRedis({
          sentinel: true,
          configFile: (port, dir) => {
            const file = join(dir, 'sentinel.conf');
            writeFileSync(
              file,
              [
                `port ${port}`,
                'bind 127.0.0.1',
                `sentinel monitor ${SENTINEL_GROUP} 127.0.0.1 ${this.primary.port} 2`,
                `sentinel down-after-milliseconds ${SENTINEL_GROUP} ${DOWN_AFTER_MS}`,
                `sentinel failover-timeout ${SENTINEL_GROUP} ${FAILOVER_TIMEOUT_MS}`,
                `sentinel parallel-syncs ${SENTINEL_GROUP} 1`,
                '',
              ].join('\n'),
            );
            return file;
          },
        }),
    );
  }

  /** TESSERA_REDIS_SENTINELS for this group. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  /**
   * Starts the primary, the replica (in sync) and the Sentinels, and waits
   * until every Sentinel knows the replica and the two other Sentinels (so a
   * failover can be authorised at once).
   */
  async start(): Promise<void> {
    await this.primary.start();
    await this.replica.start();
    const synced = await waitFor(
      async () =>
        String(await ask(this.replica.port, 'INFO', 'replication')).includes(
          'master_link_status:up',
        ),
      15_000,
      100,
    );
    if (!synced) throw new Error('the replica did not sync with the primary within 15 s');
    await Promise.all(this.sentinels.map((s) => s.start()));
    const known = await waitFor(
      async () => {
        for (const s of this.sentinels) {
          const master = (await ask(s.port, 'SENTINEL', 'MASTER', SENTINEL_GROUP)) as string[];
          const field = (k: string) => master[master.indexOf(k) + 1];
          if (field('num-slaves') !== '1' || field('num-other-sentinels') !== '2') return false;
        }
        return String(
          await ask(this.sentinels[0]!.port, 'SENTINEL', 'CKQUORUM', SENTINEL_GROUP),
        ).startsWith('OK');
      },
      30_000,
      200,
    );
    if (!known)
      throw new Error('the Sentinels did not discover the replica and each other in 30 s');
  }

  /** The port the Sentinels name as master (asked of the first that answers). */
  async masterPort(): Promise<number | undefined> {
    for (const s of this.sentinels) {
      try {
        const addr = (await ask(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_GROUP)) as
          string[] | null;
        if (addr?.[1]) return Number(addr[1]);
      } catch {
        /* the next one */
      }
    }
    return undefined;
  }

  /** The server the Sentinels name as master. */
  async current(): Promise<OwnRedis> {
    const port = await this.masterPort();
    return port === this.replica.port ? this.replica : this.primary;
  }

  /** True when `server` answers ROLE with master. */
  async isMaster(server: OwnRedis): Promise<boolean> {
    const role = (await ask(server.port, 'ROLE').catch(() => undefined)) as unknown[] | undefined;
    return role?.[0] === 'master';
  }

  async destroy(): Promise<void> {
    for (const s of [...this.sentinels, this.replica, this.primary]) await s.destroy();
  }
}
