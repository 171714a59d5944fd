/**
 * The Redis settings checked together (decision 0013): one of a URL, a set of
 * Sentinels or a Cluster's seed nodes, and what each of them needs. Each
 * problem stops the start with the one-line ConfigError of load.ts.
 */
import type { Config } from './schema.js';

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port`; undefined when it is neither. */
function hostPort(entry: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * Parses a host:port list; `fail(problem)` throws the caller's error for the
 * first entry that is not one.
 */
export function hostPorts(list: readonly string[], fail: (problem: string) => never): HostPort[] {
  return list.map((e) => hostPort(e) ?? fail(`"${e}" is not host:port`));
}

/**
 * Throws (through `error(env, problem, example)`) the first inconsistency of
 * the Redis settings.
 */
export function checkRedisConfig(
  cfg: Config,
  error: (env: string, problem: string, example: string) => never,
): void {
  const sentinels = cfg.redisSentinels;
  const cluster = cfg.redisClusterNodes;
  const modes = [
    cfg.redisUrl ? 'TESSERA_REDIS_URL' : undefined,
    sentinels.length ? 'TESSERA_REDIS_SENTINELS' : undefined,
    cluster.length ? 'TESSERA_REDIS_CLUSTER_NODES' : undefined,
  ].filter((m) => m !== undefined);
  if (modes.length > 1)
    error(
      modes[1]!,
      `cannot be combined with ${modes[0]}; set one way to reach Redis`,
      `${modes[1]}=${modes[1] === 'TESSERA_REDIS_CLUSTER_NODES' ? '10.0.0.1:6379,10.0.0.2:6379' : '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379'}`,
    );
  hostPorts(sentinels, (p) =>
    error('TESSERA_REDIS_SENTINELS', p, 'TESSERA_REDIS_SENTINELS=10.0.0.1:26379,10.0.0.2:26379'),
  );
  hostPorts(cluster, (p) =>
    error(
      'TESSERA_REDIS_CLUSTER_NODES',
      p,
      'TESSERA_REDIS_CLUSTER_NODES=10.0.0.1:6379,10.0.0.2:6379',
    ),
  );
  if (sentinels.length && !cfg.redisSentinelName)
    error(
      'TESSERA_REDIS_SENTINEL_NAME',
      'required with TESSERA_REDIS_SENTINELS (the master group name of `sentinel monitor`)',
      'TESSERA_REDIS_SENTINEL_NAME=mymaster',
    );
  if (!sentinels.length) {
    for (const [set, env] of [
      [cfg.redisSentinelName !== undefined, 'TESSERA_REDIS_SENTINEL_NAME'],
      [cfg.redisSentinelPassword !== undefined, 'TESSERA_REDIS_SENTINEL_PASSWORD'],
      [cfg.redisSentinelTls, 'TESSERA_REDIS_SENTINEL_TLS'],
    ] as const)
      if (set)
        error(
          env,
          'only applies with TESSERA_REDIS_SENTINELS',
          'TESSERA_REDIS_SENTINELS=10.0.0.1:26379',
        );
  }
  if (!sentinels.length && !cluster.length) {
    for (const [set, env, example] of [
      [cfg.redisUsername !== undefined, 'TESSERA_REDIS_USERNAME', 'redis://user:pw@host:6379'],
      [cfg.redisPassword !== undefined, 'TESSERA_REDIS_PASSWORD', 'redis://:pw@host:6379'],
      [cfg.redisTls, 'TESSERA_REDIS_TLS', 'rediss://host:6380'],
    ] as const)
      if (set)
        error(
          env,
          'only applies with TESSERA_REDIS_SENTINELS or TESSERA_REDIS_CLUSTER_NODES; with a URL, put it in the URL',
          `TESSERA_REDIS_URL=${example}`,
        );
  }
  // A Cluster keeps keys that must share a slot under one {hash tag} built
  // from the prefix: braces of its own would change which part is the tag.
  if (cluster.length && /[{}]/.test(cfg.redisPrefix))
    error(
      'TESSERA_REDIS_PREFIX',
      'must not contain { or } with TESSERA_REDIS_CLUSTER_NODES (Tessera adds its own hash tags)',
      'TESSERA_REDIS_PREFIX=tessera:',
    );
}
