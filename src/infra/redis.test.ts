import { describe, expect, it } from 'vitest';
import { outageOf } from './health.js';

/** @see issue 12 item 6 (decision 0013): a failover is a short outage, answered 503. */
describe('outageOf: what a Sentinel failover or a Cluster change answers', () => {
  it('maps the failover replies and ioredis messages to a Redis outage', () => {
    for (const message of [
      'All sentinels are unreachable. Retrying from scratch after 100ms.',
      "READONLY You can't write against a read only replica.",
      'LOADING Redis is loading the dataset in memory',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
      'NOREPLICAS Not enough good replicas to write.',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      "Cluster isn't ready and enableOfflineQueue options is false",
      'Failed to refresh slots cache.',
      'None of startup nodes is available',
      'Too many Cluster redirections. Last error: Error: Connection is closed.',
    ])
      expect(outageOf(new Error(message)), message).toBe('redis');
  });

  it('leaves bugs alone: a CROSSSLOT or a script error is no outage', () => {
    for (const message of [
      "CROSSSLOT Keys in request don't hash to the same slot",
      'ERR Script attempted to access a non local key in a cluster node',
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    ])
      expect(outageOf(new Error(message)), message).toBeNull();
  });
});
