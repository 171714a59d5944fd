/**
 * N `node dist/main.js` nodes on OUR OWN PostgreSQL and Redis (free ports,
 * one schema, one key prefix): the cluster every fault test and the cluster
 * fault script stand on. No test framework in here: the vitest suites wrap it
 * (src/reliability/cluster.test-support.ts) and so does the three-node run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFreshBuild } from './build.js';
import { FaultNode } from './fault-node.js';
import { OwnPostgres, pgAnswers } from './own-postgres.js';
import { OwnRedis } from './own-redis.js';
import { waitFor } from './shared.js';
import { missingFaultTools } from './tools.js';

export const ADMIN_PASSWORD = 'fault-suite-admin-pw-1';

export interface ClusterOptions {
  /** How many nodes; they are named A, B, C, ... @default 2 */
  nodes?: number;
  schema: string;
  /** Redis key prefix. */
  prefix: string;
  /** Settings on top of the defaults below (every node gets the same). */
  env?: Record<string, string>;
}

/** The nodes and their own PostgreSQL and Redis (see the file comment). */
export class OwnCluster {
  readonly redis = new OwnRedis();
  pg: OwnPostgres | undefined;
  readonly nodes: FaultNode[] = [];
  readonly schema: string;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'tessera-faults-'));

  constructor(private readonly o: ClusterOptions) {
    this.schema = o.schema;
  }

  /** Builds if stale, starts PostgreSQL and Redis, then the nodes (the first migrates and creates the admin). */
  async start(): Promise<void> {
    const missing = missingFaultTools();
    if (missing.length) throw new Error(`fault suite: missing ${missing.join(', ')}`);
    ensureFreshBuild();
    this.pg = new OwnPostgres();
    await Promise.all([this.pg.start(), this.redis.start()]);
    const env = {
      TESSERA_HOST: '127.0.0.1',
      TESSERA_DATABASE_URL: this.pg.url,
      TESSERA_DATABASE_SCHEMA: this.o.schema,
      TESSERA_REDIS_URL: this.redis.url,
      TESSERA_REDIS_PREFIX: this.o.prefix,
      TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // info, not warn: a `dependency recovered` line at info level must be seen too.
      TESSERA_LOG_LEVEL: 'info',
      TESSERA_DATA_DIR: this.dataDir,
      // Many logins from 127.0.0.1 and of one user: keep the budgets out of the way.
      TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '100000',
      TESSERA_MAX_SESSIONS_PER_USER: '1000',
      ...this.o.env,
    };
    const count = this.o.nodes ?? 2;
    for (let i = 0; i < count; i++)
      this.nodes.push(new FaultNode(env, String.fromCharCode(65 + i)));
    await this.nodes[0]!.start(); // first: migrates and creates the admin
    await Promise.all(this.nodes.slice(1).map((n) => n.start()));
  }

  /**
   * Both dependencies and every node up, whatever an earlier step left: a
   * node that had exited starts again (on a new port), with its last output
   * passed to `told`. Resolves false if a node is not ready within 15 s.
   */
  async ensureUp(told: (n: FaultNode) => void = () => {}): Promise<boolean> {
    if (!this.redis.running) await this.redis.start();
    if (!(await pgAnswers(this.pg!.url))) await this.pg!.start();
    for (const n of this.nodes) {
      if (n.alive) continue;
      told(n);
      await n.start();
    }
    return !!(await waitFor(() => this.allReady(3000), 15_000, 100));
  }

  /** Every node answers /readyz with 200 (it reaches PostgreSQL and Redis). */
  async allReady(timeoutMs = 2000): Promise<boolean> {
    const r = await Promise.all(
      this.nodes.map((n) => n.call('GET', '/readyz', { timeoutMs }).then((a) => a.status)),
    );
    return r.every((s) => s === 200);
  }

  /** Stops the nodes, removes PostgreSQL, Redis and the data dir; reports what failed. */
  async destroy(warn: (msg: string) => void = console.warn): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      () => Promise.all(this.nodes.map((n) => n.stop())),
      () => this.redis.destroy(),
      async () => this.pg?.destroy(),
      async () => rmSync(this.dataDir, { recursive: true, force: true }),
    ];
    for (const s of steps)
      await s().catch((e: unknown) => warn(`fault suite cleanup: ${(e as Error).message}`));
  }
}
