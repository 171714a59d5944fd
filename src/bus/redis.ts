import type { Cluster, Redis } from 'ioredis';
import type { Bus } from './bus.js';

/**
 * A message on the wire: `t=<publish time, ms since the epoch>;<JSON>`. JSON
 * never starts with `t=`, so a message from a node without the stamp (a
 * rolling upgrade) is still read; such a node drops stamped ones, which the
 * listeners' durable sources make up for (see `publish`).
 */
const STAMP = 't=';

/**
 * Redis pub/sub bus. One subscriber connection per node; channels are
 * prefixed so deployments sharing a Redis stay apart. Each message carries
 * its publish time, so `onLag` hears how long it took to arrive (the nodes'
 * clocks must agree: NTP keeps them within milliseconds).
 */
export function createRedisBus(
  pub: Redis | Cluster,
  sub: Redis | Cluster,
  prefix: string,
  onError: (e: unknown) => void = () => {},
  onLag: (seconds: number) => void = () => {},
): Bus {
  const handlers = new Map<string, Set<(m: unknown) => void>>();
  const resync = new Set<() => void>();
  let everReady = sub.status === 'ready';
  let pending: Promise<unknown>[] = [];

  sub.on('message', (ch: string, raw: string) => {
    const set = handlers.get(ch.slice(prefix.length));
    if (!set) return;
    let msg: unknown;
    let body = raw;
    if (raw.startsWith(STAMP)) {
      const end = raw.indexOf(';');
      const at = Number(raw.slice(STAMP.length, end));
      if (end < 0 || !Number.isFinite(at)) return;
      onLag(Math.max(0, Date.now() - at) / 1000);
      body = raw.slice(end + 1);
    }
    try {
      msg = JSON.parse(body);
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
      const raw = `${STAMP}${Date.now()};${JSON.stringify(message)}`;
      await pub.publish(prefix + channel, raw).then(
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
