import type { Redis } from 'ioredis';
import { createRedis } from '../infra/redis.js';
import { redisUrl, uniqueName } from './services.js';

export interface TestRedis {
  redis: Redis;
  url: string;
  prefix: string;
  /** Deletes every key under the prefix and closes the connection. */
  cleanup(): Promise<void>;
}

export async function createTestRedis(tag = 'r'): Promise<TestRedis> {
  if (!redisUrl) throw new Error('Redis tests need TESSERA_TEST_REDIS_URL');
  const redis = createRedis(redisUrl, 'test');
  const prefix = `${uniqueName(tag)}:`;
  return {
    redis,
    url: redisUrl,
    prefix,
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
