import type { AppExtension } from '../app.js';
import { compatRoutes } from '../compat/routes.js';
import { randomId } from '../lib/crypto.js';
import type { TesseraModule } from '../modules.js';
import type { Runtime } from '../runtime.js';
import { SESSION_ENDED_CHANNEL, type SessionEndedEvent } from '../sessions/service.js';
import { createHub, type Hub } from './hub.js';
import { presenceRoutes } from './routes.js';
import { createPresenceService, type PresenceService } from './service.js';
import { createMemoryPresenceStore } from './store/memory.js';
import { createRedisPresenceStore } from './store/redis.js';
import { PRESENCE_CHANNEL, type PresenceFrame } from './types.js';
import { presenceQueries } from './views.js';
import { wsRoutes } from './ws-route.js';

/** One ticker per node drives every socket and presence check (no per-socket timers). */
const TICK_MS = 1000;
/** Node keep-alive in Redis every this many ticks; entries live 3× as long. */
const KEEPALIVE_TICKS = 5;

export interface PresenceHandle {
  presence: PresenceService;
  hub: Hub;
  nodeId: string;
  /** Runs one ticker pass now (tests with a ManualClock). */
  tick(): void;
}

const handles = new WeakMap<Runtime, PresenceHandle>();

/** The presence parts of a running node (tests, metrics). */
export function presenceOf(rt: Runtime): PresenceHandle | undefined {
  return handles.get(rt);
}

/**
 * Issue 5: `/ws`, presence, real-time session end, and seed 000's `/auth/*`
 * routes. Embedded: all in process; with Redis: presence entries per node in
 * Redis and events over the bus.
 */
export const presenceModule: TesseraModule = {
  name: 'presence',
  async init(rt: Runtime): Promise<AppExtension[]> {
    const log = rt.log.child({ mod: 'presence' });
    const nodeId = randomId(9);
    const timeoutMs = () => rt.settings.get().presenceTimeout * 1000;
    const store = rt.redis
      ? createRedisPresenceStore(rt.redis, {
          prefix: rt.config.redisPrefix,
          nodeId,
          ttlMs: KEEPALIVE_TICKS * TICK_MS * 3,
        })
      : createMemoryPresenceStore();
    const presence = createPresenceService({
      store,
      bus: rt.bus,
      clock: rt.clock,
      log,
      timeoutMs,
      report: rt.report,
    });
    const hub = createHub({
      presence,
      clock: rt.clock,
      log,
      maxBuffered: rt.config.wsMaxBufferedBytes,
      timeoutMs,
      revoked: (c) => rt.revocations.check(c.sid, c.jti, c.sub, c.iat) !== null,
      touch: (sid) => rt.lastSeen.touch(sid),
    });

    const offs = [
      rt.bus.subscribe(PRESENCE_CHANNEL, (m) => hub.fanout(m as PresenceFrame)),
      rt.bus.subscribe(SESSION_ENDED_CHANNEL, (m) => {
        const e = m as SessionEndedEvent;
        hub.endSession(e.sid, e.reason);
        presence.sessionEnded(String(e.userId), e.sid);
      }),
      // Missed bus messages: our Redis entries may be stale too; rewrite them now.
      rt.bus.onResync(() => void presence.keepAlive()),
    ];
    let ticks = 0;
    const tick = () => {
      const now = rt.clock.now();
      hub.sweep(now);
      presence.sweep(now);
      if (rt.redis && ++ticks % KEEPALIVE_TICKS === 0) void presence.keepAlive();
    };
    const timer = setInterval(tick, TICK_MS);
    timer.unref();
    if (rt.redis) await presence.keepAlive();
    rt.onClose(async () => {
      clearInterval(timer);
      for (const off of offs) off();
      hub.closeAll();
      await presence.stop();
    });
    handles.set(rt, { presence, hub, nodeId, tick });

    const q = presenceQueries(rt, presence);
    return [{ api: presenceRoutes(q) }, { root: wsRoutes(rt, hub) }, { root: compatRoutes(rt, q) }];
  },
};
