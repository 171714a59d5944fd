import { Redis } from 'ioredis';

/**
 * Opens a Redis connection. Commands wait while disconnected (ioredis' offline
 * queue) up to `commandTimeout`, so a short Redis blip delays requests instead
 * of failing them, and a long one fails them with a clear 503.
 */
export function createRedis(url: string, name: string): Redis {
  const r = new Redis(url, {
    connectionName: `tessera:${name}`,
    maxRetriesPerRequest: 2,
    commandTimeout: 2000,
    enableAutoPipelining: true,
    lazyConnect: false,
  });
  // Errors are reported by the 'error' event; without a listener ioredis would
  // print them as unhandled. Reconnection is automatic.
  r.on('error', () => {});
  return r;
}
