import type { Cluster, Redis } from 'ioredis';
import type { Bus } from './bus.js';

/**
 * Redis pub/sub bus. One subscriber connection per node; channels are
 * prefixed so deployments sharing a Redis stay apart.
 */
export function createRedisBus(
  pub: Redis | Cluster,
  sub: Redis | Cluster,
  prefix: string,
  onError: (e: unknown) => void = () => {},
): Bus {
  const handlers = new Map<string, Set<(m: unknown) => void>>();
  const resync = new Set<() => void>();
  let everReady = sub.status === 'ready';
  let pending: Promise<unknown>[] = [];

  sub.on('message', (ch: string, raw: string) => {
    const set = handlers.get(ch.slice(prefix.length));
    if (!set) return;
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    for (const h of [...set]) h(msg);
  });
  sub.on('ready', () => {
    // ioredis re-subscribes by itself on reconnect; what was published while
    // we were away is lost, so tell listeners to rebuild from the store.
    if (everReady) for (const h of [...resync]) h();
    everReady = true;
  });

  return {
    /**
     * Never rejects: a message that cannot be sent (Redis down) is reported
     * and dropped. Every listener has a durable source to converge from
     * (revocations are polled from SQL; settings, roles and keys reload on
     * resync), so losing a broadcast delays it, it never loses the state.
     */
    async publish(channel, message) {
      await pub.publish(prefix + channel, JSON.stringify(message)).then(
        () => undefined,
        (e: unknown) => onError(e),
      );
    },
    subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, (set = new Set()));
        // Queued by ioredis until the connection is up; ready() waits for it.
        pending.push(sub.subscribe(prefix + channel).catch(onError));
      }
      set.add(handler);
      return () => {
        set.delete(handler);
        if (set.size === 0) {
          handlers.delete(channel);
          sub.unsubscribe(prefix + channel).catch(onError);
        }
      };
    },
    async ready() {
      const waiting = pending;
      pending = [];
      await Promise.all(waiting);
    },
    onResync(handler) {
      resync.add(handler);
      return () => resync.delete(handler);
    },
    async close() {
      handlers.clear();
      resync.clear();
    },
  };
}
