import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { fail } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { PresenceStore } from './store/store.js';
import {
  PRESENCE_CHANNEL,
  type OnlineUser,
  type PresenceFrame,
  type PresenceStatus,
} from './types.js';

/** Who a socket or heartbeat belongs to, from verified claims. */
export interface Identity {
  /** Token `sub`. */
  id: string;
  type: string;
  name: string;
  /** Token `tid` (absent = default). */
  tenant?: string | undefined;
}

/** This node's view of one user it holds online. */
interface LocalUser {
  entry: OnlineUser;
  /** Open sockets of the user on this node. */
  sockets: number;
  /** Last HTTP heartbeat on this node (ms), 0 if none. */
  beatAt: number;
  /** Session of that heartbeat: its end cancels the heartbeat's grace. */
  beatSid: string | null;
}

export interface PresenceDeps {
  store: PresenceStore;
  bus: Bus;
  clock: Clock;
  log: Logger;
  /** A store or publish failure: an outage is logged once by the health tracker. @default log.warn */
  report?: (err: unknown, what: string) => void;
  /** Heartbeat silence after which a user without sockets is offline (settings.presenceTimeout, dynamic). */
  timeoutMs: () => number;
}

/**
 * Presence rules (issue 5): a user is online while at least one of its
 * sockets is open on some node, or while its HTTP heartbeats keep arriving
 * within the timeout. Each node keeps the users it holds online in memory
 * (authoritative for itself) and mirrors them into the store; only a
 * cluster-wide transition, as the store reports it, is announced on the bus.
 *
 * Store calls go through one queue so a leave and a quick re-join of the same
 * user reach Redis in order.
 */
export function createPresenceService(d: PresenceDeps) {
  const report = d.report ?? ((err: unknown, what: string) => d.log.warn({ err }, what));
  const local = new Map<string, LocalUser>();
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs after every earlier store call; the result (or failure) is the caller's. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = queue.then(fn);
    queue = r.then(
      () => undefined,
      () => undefined,
    );
    return r;
  }

  /** Fire-and-forget store call: a failure (Redis down) is logged, never an unhandled rejection. */
  function background(fn: () => Promise<void>): Promise<void> {
    return serial(fn).catch((err: unknown) => report(err, 'presence store call failed'));
  }

  function announce(
    u: { user_id: string; user_type: string; tenant?: string | undefined },
    status: PresenceStatus,
  ): Promise<void> {
    const frame: PresenceFrame = {
      type: 'presence',
      user_id: u.user_id,
      user_type: u.user_type,
      status,
      at: d.clock.now(),
      ...(u.tenant ? { tenant: u.tenant } : {}),
    };
    return d.bus
      .publish(PRESENCE_CHANNEL, frame)
      .catch((err: unknown) => report(err, 'presence publish failed'));
  }

  function enter(who: Identity): LocalUser {
    let lu = local.get(who.id);
    if (lu) return lu;
    lu = {
      entry: {
        user_id: who.id,
        username: who.name,
        user_type: who.type,
        since: d.clock.now(),
        // The default tenant's entries stay as they were (nodes of an earlier version read them).
        ...(who.tenant && who.tenant !== 'default' ? { tenant: who.tenant } : {}),
      },
      sockets: 0,
      beatAt: 0,
      beatSid: null,
    };
    local.set(who.id, lu);
    const entry = lu.entry;
    void background(async () => {
      if (await d.store.join(entry)) await announce(entry, 'online');
    });
    return lu;
  }

  function leave(lu: LocalUser): void {
    if (local.get(lu.entry.user_id) !== lu) return;
    local.delete(lu.entry.user_id);
    const entry = lu.entry;
    void background(async () => {
      if (await d.store.leave(entry.user_id)) await announce(entry, 'offline');
    });
  }

  const beating = (lu: LocalUser, now: number) => lu.beatAt > 0 && now - lu.beatAt < d.timeoutMs();

  return {
    /** A socket of `who` opened on this node. */
    connect(who: Identity): void {
      enter(who).sockets++;
    },

    /** A socket closed: the last one takes the user offline unless heartbeats still hold it. */
    disconnect(userId: string): void {
      const lu = local.get(userId);
      if (!lu) return;
      lu.sockets = Math.max(0, lu.sockets - 1);
      if (lu.sockets === 0 && !beating(lu, d.clock.now())) leave(lu);
    },

    /** `POST /auth/heartbeat`: keeps the user online for one timeout. */
    heartbeat(
      who: Identity,
      sid: string,
    ): { status: 'online'; at: number; timeout_seconds: number } {
      const lu = enter(who);
      const now = d.clock.now();
      lu.beatAt = now;
      lu.beatSid = sid;
      return { status: 'online', at: now, timeout_seconds: Math.round(d.timeoutMs() / 1000) };
    },

    /** A session ended: its heartbeat no longer holds the user online. */
    sessionEnded(userId: string, sid: string): void {
      const lu = local.get(userId);
      if (!lu || lu.beatSid !== sid) return;
      lu.beatAt = 0;
      lu.beatSid = null;
      if (lu.sockets === 0) leave(lu);
    },

    /** Heartbeat silence check; called by the module's one shared ticker. */
    sweep(now = d.clock.now()): void {
      for (const lu of local.values()) if (lu.sockets === 0 && !beating(lu, now)) leave(lu);
    },

    /** Node liveness in the store, and offline announcements for reaped nodes. */
    keepAlive(): Promise<void> {
      return background(async () => {
        const gone = await d.store.keepAlive([...local.values()].map((l) => l.entry));
        for (const u of gone) await announce(u, 'offline');
      });
    },

    /** Everyone online in the cluster now; UNAVAILABLE (503) when the store cannot answer. */
    list: (): Promise<OnlineUser[]> =>
      serial(() => d.store.list()).catch((err: unknown) => {
        report(err, 'presence list failed');
        fail('UNAVAILABLE');
      }),

    /** Users this node holds online (tests, metrics). */
    localCount: () => local.size,

    /** Settles queued store calls (tests). */
    flush: (): Promise<void> => background(async () => {}),

    /** Clean shutdown: this node's users go offline unless another node holds them. */
    async stop(): Promise<void> {
      local.clear();
      await background(async () => {
        for (const u of await d.store.close()) await announce(u, 'offline');
      });
    },
  };
}

export type PresenceService = ReturnType<typeof createPresenceService>;
