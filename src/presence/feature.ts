import { randomId } from '../lib/crypto.js';
import type { Feature } from '../feature/contract.js';
import { PRESENCE_FIELDS } from './config.js';
import { SESSION_ENDED_CHANNEL, type SessionEndedEvent } from '../sessions/service.js';
import { createHub, type Hub } from './hub.js';
import { presenceRoutes } from './routes.js';
import { createPresenceService, type PresenceService } from './service.js';
import { createMemoryPresenceStore } from './store/memory.js';
import { createRedisPresenceStore } from './store/redis.js';
import { PRESENCE_CHANNEL, type PresenceFrame } from './types.js';
import { presenceQueries, type PresenceQueries } from './views.js';
import { wsRoutes } from './ws-route.js';
import { registerPresenceMetrics } from './metrics.js';

/** One ticker per node drives every socket and presence check (no per-socket timers). */
const TICK_MS = 1000;
/** Node keep-alive in Redis every this many ticks; entries live 3× as long. */
const KEEPALIVE_TICKS = 5;

export interface PresenceHandle {
  presence: PresenceService;
  hub: Hub;
  nodeId: string;
  /** What the presence routes answer (the customer-service routes answer the same). */
  queries: PresenceQueries;
  /** Runs one ticker pass now (tests with a ManualClock). */
  tick(): void;
}

declare module '../feature/contract.js' {
  interface FeatureServices {
    presence: PresenceHandle;
  }
}

declare module '../settings/service.js' {
  interface FeatureSettings {
    presenceTimeout: number;
  }
}

/**
 * Issue 5: `/ws`, presence and real-time session end. Embedded: all in
 * process; with Redis: presence entries per node in Redis and events over the bus.
 */
export const presenceFeature: Feature = {
  name: 'presence',
  config: PRESENCE_FIELDS,
  settings: ['presenceTimeout'],
  async start({ core }) {
    const { bus, clock, redis } = core;
    const log = core.log.child({ mod: 'presence' });
    const nodeId = randomId(9);
    const timeoutMs = () => core.settings.get().presenceTimeout * 1000;
    const store = redis
      ? createRedisPresenceStore(redis, {
          prefix: core.config.redisPrefix,
          nodeId,
          ttlMs: KEEPALIVE_TICKS * TICK_MS * 3,
        })
      : createMemoryPresenceStore();
    const presence = createPresenceService({
      store,
      bus,
      clock,
      log,
      timeoutMs,
      report: core.report,
    });
    const hub = createHub({
      presence,
      clock,
      log,
      maxBuffered: core.config.wsMaxBufferedBytes,
      timeoutMs,
      revoked: (c) => core.revocations.check(c.sid, c.jti, c.sub, c.iat) !== null,
      touch: (sid) => core.lastSeen.touch(sid),
    });

    const offs = [
      bus.subscribe(PRESENCE_CHANNEL, (m) => hub.fanout(m as PresenceFrame)),
      bus.subscribe(SESSION_ENDED_CHANNEL, (m) => {
        const e = m as SessionEndedEvent;
        hub.endSession(e.sid, e.reason);
        presence.sessionEnded(String(e.userId), e.sid);
      }),
      // Missed bus messages: our Redis entries may be stale too; rewrite them now.
      bus.onResync(() => void presence.keepAlive()),
    ];
    let ticks = 0;
    const tick = () => {
      const now = clock.now();
      hub.sweep(now);
      presence.sweep(now);
      if (redis && ++ticks % KEEPALIVE_TICKS === 0) void presence.keepAlive();
    };
    const timer = setInterval(tick, TICK_MS);
    timer.unref();
    if (redis) await presence.keepAlive();
    registerPresenceMetrics(core.metrics.registry, hub, presence);
    const queries = presenceQueries(presence);
    return {
      provides: { presence: { presence, hub, nodeId, queries, tick } },
      routes: () => [{ api: presenceRoutes(queries) }, { root: wsRoutes(hub) }],
      async stop() {
        clearInterval(timer);
        for (const off of offs) off();
        hub.closeAll();
        await presence.stop();
      },
    };
  },
};
