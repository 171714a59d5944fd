import { Cluster, Redis, type Command, type RedisOptions as IORedisOptions } from 'ioredis';
import { hostPorts, type HostPort } from '../config/redis.js';
import type { Config } from '../config/schema.js';
import type { DependencyHealth } from './health.js';

/** A connection of any of the three modes; the commands Tessera sends are the same. */
export type RedisClient = Redis | Cluster;

/** How to reach Redis (decision 0013): one server, a Sentinel group, or a Cluster. */
export type RedisTarget =
  | { mode: 'url'; url: string }
  | {
      mode: 'sentinel';
      sentinels: HostPort[];
      /** The master group name (`sentinel monitor <name> ...`). */
      name: string;
      sentinelPassword?: string;
      sentinelTls: boolean;
      username?: string;
      password?: string;
      tls: boolean;
    }
  | { mode: 'cluster'; nodes: HostPort[]; username?: string; password?: string; tls: boolean };

/** The target the settings name, or undefined for in-process state (no Redis). */
export function redisTarget(cfg: Config): RedisTarget | undefined {
  const bad = (p: string): never => {
    throw new Error(p); // unreachable: loadConfig checked the lists (config/redis.ts)
  };
  const creds = {
    ...(cfg.redisUsername !== undefined ? { username: cfg.redisUsername } : {}),
    ...(cfg.redisPassword !== undefined ? { password: cfg.redisPassword } : {}),
    tls: cfg.redisTls,
  };
  if (cfg.redisSentinels.length)
    return {
      mode: 'sentinel',
      sentinels: hostPorts(cfg.redisSentinels, bad),
      name: cfg.redisSentinelName ?? bad('TESSERA_REDIS_SENTINEL_NAME missing'),
      ...(cfg.redisSentinelPassword !== undefined
        ? { sentinelPassword: cfg.redisSentinelPassword }
        : {}),
      sentinelTls: cfg.redisSentinelTls,
      ...creds,
    };
  if (cfg.redisClusterNodes.length)
    return { mode: 'cluster', nodes: hostPorts(cfg.redisClusterNodes, bad), ...creds };
  return cfg.redisUrl ? { mode: 'url', url: cfg.redisUrl } : undefined;
}

export interface RedisOptions {
  /**
   * Fail commands at once while disconnected instead of queueing them
   * (ioredis' offline queue). The command connection does: a request during a
   * Redis outage (or a Sentinel failover) gets its answer (a fallback or 503)
   * in milliseconds, not after retries. The subscriber keeps the queue so its
   * subscriptions are sent as soon as the connection is up, and so do tools
   * and tests that issue commands right after connecting. @default false
   */
  failFast?: boolean;
  /** Told when the connection drops and when it is ready again. */
  health?: DependencyHealth;
  /** Told each command's time in seconds, from sending to its answer (the metrics' Redis histogram). */
  onCommand?: (seconds: number, failed: boolean) => void;
}

/**
 * Times every command sent on `r`: ioredis hands each one (pipelined and
 * auto-pipelined ones included) to `sendCommand`, which may see it again when
 * the offline queue is flushed; the first pass is the one timed. Per command:
 * a WeakSet check, two clock reads and one `then`.
 */
function timeCommands(r: RedisClient, onCommand: (seconds: number, failed: boolean) => void): void {
  const target = r as unknown as { sendCommand: (c: Command, ...rest: unknown[]) => unknown };
  const send = target.sendCommand;
  const timed = new WeakSet<Command>();
  target.sendCommand = function (this: unknown, c: Command, ...rest: unknown[]) {
    if (!timed.has(c)) {
      timed.add(c);
      const t0 = performance.now();
      void c.promise.then(
        () => onCommand((performance.now() - t0) / 1000, false),
        () => onCommand((performance.now() - t0) / 1000, true),
      );
    }
    return send.call(this, c, ...rest);
  };
}

// Reconnect quickly: an outage ends for us 100-500 ms after Redis (or the
// promoted replica) answers.
const retry = (times: number) => Math.min(100 * times, 500);

/**
 * Opens a Redis connection of the target's mode; reconnection is automatic.
 * Every connection Tessera makes (commands, subscriber, tools) comes from here.
 * With Sentinel it asks the Sentinels for the master on every (re)connection
 * and reconnects when the server it reached says it is a replica (READONLY): a failover is an outage of a few seconds, not a change
 * of configuration.
 */
export function createRedis(url: string, name: string, opts?: RedisOptions): Redis;
export function createRedis(target: RedisTarget, name: string, opts?: RedisOptions): RedisClient;
export function createRedis(
  target: string | RedisTarget,
  name: string,
  opts: RedisOptions = {},
): RedisClient {
  const t: RedisTarget = typeof target === 'string' ? { mode: 'url', url: target } : target;
  const failFast = opts.failFast ?? false;
  const common = {
    connectionName: `tessera:${name}`,
    // A Redis that accepts the connection but does not answer (paused, swapping).
    commandTimeout: 1000,
    connectTimeout: 2000,
  } satisfies IORedisOptions;
  let r: RedisClient;
  if (t.mode === 'cluster') {
    r = new Cluster(t.nodes, {
      enableOfflineQueue: !failFast,
      enableAutoPipelining: true,
      clusterRetryStrategy: retry,
      lazyConnect: false,
      redisOptions: {
        ...common,
        maxRetriesPerRequest: failFast ? 0 : 2,
        ...(t.username !== undefined ? { username: t.username } : {}),
        ...(t.password !== undefined ? { password: t.password } : {}),
        ...(t.tls ? { tls: {} } : {}),
      },
    });
  } else {
    const base: IORedisOptions = {
      ...common,
      maxRetriesPerRequest: failFast ? 0 : 2,
      enableOfflineQueue: !failFast,
      enableAutoPipelining: true,
      lazyConnect: false,
      retryStrategy: retry,
    };
    r =
      t.mode === 'url'
        ? new Redis(t.url, base)
        : new Redis({
            ...base,
            sentinels: t.sentinels,
            name: t.name,
            role: 'master',
            sentinelRetryStrategy: retry,
            sentinelCommandTimeout: 1000,
            // Not ioredis' failoverDetector: its +switch-master subscription
            // of the connection before a crash can fire while the connection
            // is reconnecting, which then ends for good (status 'end', seen
            // in the failover test). A killed primary closes the connection
            // and a demoted one answers READONLY (below), both of which
            // reconnect through the Sentinels.
            failoverDetector: false,
            // A demoted master (or a replica reached too early) refuses writes:
            // reconnect through the Sentinels and resend.
            reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
            ...(t.sentinelPassword !== undefined ? { sentinelPassword: t.sentinelPassword } : {}),
            ...(t.sentinelTls ? { sentinelTLS: {} } : {}),
            ...(t.username !== undefined ? { username: t.username } : {}),
            ...(t.password !== undefined ? { password: t.password } : {}),
            ...(t.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
          });
  }
  if (opts.onCommand) timeCommands(r, opts.onCommand);
  let wasReady = false;
  // Errors are reported by the 'error' event; without a listener ioredis would
  // print them as unhandled. The health tracker logs the outage once.
  r.on('error', (err: Error) => {
    if (wasReady) opts.health?.failed('redis', err);
  });
  r.on('close', () => {
    if (wasReady) opts.health?.failed('redis', new Error(`connection ${name} closed`));
  });
  r.on('ready', () => {
    wasReady = true;
    opts.health?.recovered('redis');
  });
  // One node of a Cluster can fail while the Cluster stays 'ready'.
  if (r instanceof Cluster)
    r.on('node error', (err: Error) => {
      if (wasReady) opts.health?.failed('redis', err);
    });
  // An outage reported by a command (a timeout, READONLY, LOADING, NOREPLICAS,
  // a Cluster node down) need not close the connection, so no 'ready' would
  // end it: while Redis counts as down the tracker pings every second.
  opts.health?.setProbe('redis', () => r.ping());
  return r;
}

/** Resolves when the connection is ready (commands fail fast before that). */
export function redisReady(r: RedisClient, timeoutMs = 5000): Promise<void> {
  if (r.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(t);
      r.off('ready', onReady);
    };
    r.on('ready', onReady);
  });
}
