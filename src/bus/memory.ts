import type { Bus } from './bus.js';

/** In-process bus: delivery is synchronous-after-tick, like a broker would be. */
export function createMemoryBus(): Bus {
  const handlers = new Map<string, Set<(m: unknown) => void>>();
  return {
    async publish(channel, message) {
      const set = handlers.get(channel);
      if (!set) return;
      // Same contract as Redis: subscribers receive a copy, after the publisher continues.
      const copy = structuredClone(message);
      queueMicrotask(() => {
        for (const h of [...set]) h(copy);
      });
    },
    subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(handler);
      return () => {
        set.delete(handler);
        if (set.size === 0) handlers.delete(channel);
      };
    },
    async ready() {},
    onResync() {
      return () => {};
    },
    async close() {
      handlers.clear();
    },
  };
}
