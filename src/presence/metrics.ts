import { Gauge, type Registry } from 'prom-client';
import type { Hub } from './hub.js';
import type { PresenceService } from './service.js';

/**
 * This node's sockets and the users it holds online, read at scrape time
 * from the hub's and the presence service's tables. Summed over the nodes,
 * online users count a user held by two nodes twice; the cluster's own list
 * is `GET /api/auth/online`.
 */
export function registerPresenceMetrics(
  registry: Registry,
  hub: Hub,
  presence: PresenceService,
): void {
  new Gauge({
    name: 'tessera_ws_connections',
    help: 'WebSocket connections open on this node (/ws)',
    registers: [registry],
    collect() {
      this.set(hub.stats().sockets);
    },
  });
  new Gauge({
    name: 'tessera_presence_online_users',
    help: 'Users this node holds online (a live socket or a heartbeat within the presence timeout)',
    registers: [registry],
    collect() {
      this.set(presence.localCount());
    },
  });
}
