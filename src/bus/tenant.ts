import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import type { Bus } from './bus.js';

/**
 * One tenant's view of the bus: its channels are `<channel>@<tenant>`, so a
 * settings or key change of tenant A wakes only A's listeners on each node.
 * The default tenant keeps the plain channel names (what nodes of an earlier
 * version publish during a rolling upgrade). `close()` drops this view's
 * subscriptions and leaves the bus open.
 */
export function tenantBus(bus: Bus, tenant: TenantId): Bus & { close(): Promise<void> } {
  const name = (ch: string) => (tenant === DEFAULT_TENANT ? ch : `${ch}@${tenant}`);
  const offs = new Set<() => void>();
  const keep = (off: () => void) => {
    const once = () => {
      offs.delete(once);
      off();
    };
    offs.add(once);
    return once;
  };
  return {
    publish: (ch, m) => bus.publish(name(ch), m),
    subscribe: (ch, h) => keep(bus.subscribe(name(ch), h)),
    onResync: (h) => keep(bus.onResync(h)),
    ...(bus.ready ? { ready: () => bus.ready!() } : {}),
    async close() {
      for (const off of [...offs]) off();
    },
  };
}
