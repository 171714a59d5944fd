import { describe, expect, it } from 'vitest';
import { allFields, loadAppConfig } from '../app/features.js';
import { redisTarget } from '../infra/redis.js';
import { ConfigError, redactedConfig } from './load.js';

/** @see issue 12 item 6 (decision 0013): the three ways to reach Redis. */
describe('Redis settings: URL, Sentinel or Cluster', () => {
  it('Sentinels with their group name, password and TLS make a sentinel target', () => {
    const c = loadAppConfig({
      TESSERA_REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b.internal:26380,[::1]:26381',
      TESSERA_REDIS_SENTINEL_NAME: 'mymaster',
      TESSERA_REDIS_SENTINEL_PASSWORD: 's3cret',
      TESSERA_REDIS_SENTINEL_TLS: '1',
      TESSERA_REDIS_PASSWORD: 'data-pw',
    });
    expect(redisTarget(c)).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b.internal', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      sentinelPassword: 's3cret',
      sentinelTls: true,
      password: 'data-pw',
      tls: false,
    });
  });

  it('Cluster seed nodes make a cluster target; a URL a url target; nothing, no Redis', () => {
    expect(
      redisTarget(
        loadAppConfig({ TESSERA_REDIS_CLUSTER_NODES: 'r1:6379,r2:6379', TESSERA_REDIS_TLS: 'yes' }),
      ),
    ).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'r1', port: 6379 },
        { host: 'r2', port: 6379 },
      ],
      tls: true,
    });
    expect(redisTarget(loadAppConfig({ TESSERA_REDIS_URL: 'redis://h:6379/2' }))).toEqual({
      mode: 'url',
      url: 'redis://h:6379/2',
    });
    expect(redisTarget(loadAppConfig({}))).toBeUndefined();
  });

  it('each inconsistency stops the start with one line naming the variable and an example', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { TESSERA_REDIS_SENTINELS: '10.0.0.1:26379' },
        /^TESSERA_REDIS_SENTINEL_NAME: required with TESSERA_REDIS_SENTINELS .*\(example: TESSERA_REDIS_SENTINEL_NAME=mymaster\)$/,
      ],
      [
        { TESSERA_REDIS_SENTINELS: '10.0.0.1', TESSERA_REDIS_SENTINEL_NAME: 'm' },
        /^TESSERA_REDIS_SENTINELS: "10\.0\.0\.1" is not host:port \(example: /,
      ],
      [
        { TESSERA_REDIS_SENTINELS: 'h:99999', TESSERA_REDIS_SENTINEL_NAME: 'm' },
        /^TESSERA_REDIS_SENTINELS: "h:99999" is not host:port/,
      ],
      [
        { TESSERA_REDIS_CLUSTER_NODES: 'a:1,b:x' },
        /^TESSERA_REDIS_CLUSTER_NODES: "b:x" is not host:port/,
      ],
      [
        { TESSERA_REDIS_URL: 'redis://h', TESSERA_REDIS_SENTINELS: 'h:26379' },
        /^TESSERA_REDIS_SENTINELS: cannot be combined with TESSERA_REDIS_URL; set one way to reach Redis \(example: /,
      ],
      [
        {
          TESSERA_REDIS_SENTINELS: 'h:26379',
          TESSERA_REDIS_SENTINEL_NAME: 'm',
          TESSERA_REDIS_CLUSTER_NODES: 'h:6379',
        },
        /^TESSERA_REDIS_CLUSTER_NODES: cannot be combined with TESSERA_REDIS_SENTINELS/,
      ],
      [
        { TESSERA_REDIS_SENTINEL_NAME: 'm' },
        /^TESSERA_REDIS_SENTINEL_NAME: only applies with TESSERA_REDIS_SENTINELS/,
      ],
      [
        { TESSERA_REDIS_URL: 'redis://h', TESSERA_REDIS_PASSWORD: 'pw' },
        /^TESSERA_REDIS_PASSWORD: only applies with .*; with a URL, put it in the URL \(example: TESSERA_REDIS_URL=redis:\/\/:pw@host:6379\)$/,
      ],
      [
        { TESSERA_REDIS_CLUSTER_NODES: 'h:6379', TESSERA_REDIS_PREFIX: 'app:{x}:' },
        /^TESSERA_REDIS_PREFIX: must not contain \{ or \} with TESSERA_REDIS_CLUSTER_NODES/,
      ],
      [
        { TESSERA_REDIS_SENTINEL_TLS: 'maybe' },
        /^TESSERA_REDIS_SENTINEL_TLS: "maybe" is not a boolean/,
      ],
    ];
    for (const [env, message] of cases) {
      let err: unknown;
      try {
        loadAppConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((err as Error).message, JSON.stringify(env)).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('the start-up log hides the Sentinel and data-node passwords', () => {
    const c = loadAppConfig({
      TESSERA_REDIS_SENTINELS: 'h:26379',
      TESSERA_REDIS_SENTINEL_NAME: 'm',
      TESSERA_REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      TESSERA_REDIS_PASSWORD: 'data-pw',
    });
    const shown = JSON.stringify(redactedConfig(c, allFields()));
    expect(shown).not.toContain('sentinel-pw');
    expect(shown).not.toContain('data-pw');
    expect(shown).toContain('h:26379');
  });
});
