import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { Clock } from '../lib/clock.js';
import type { EndReason } from '../sessions/service.js';
import type { AccessClaims } from '../tokens/claims.js';
import { CLOSE_SERVICE_RESTART, CLOSE_SESSION_ENDED, CLOSE_SLOW, frameReason } from './reasons.js';
import type { PresenceService } from './service.js';
import type { PresenceFrame } from './types.js';
import type { Scope } from './visibility.js';

/**
 * One open socket. Deliberately a flat record with no closures or timers:
 * every socket shares the hub's listener functions and its one ticker, which
 * keeps an idle authenticated connection to a few hundred bytes of our own.
 */
interface Conn {
  ws: WebSocket;
  userId: string;
  userType: string;
  sid: string;
  jti: string;
  iat: number;
  /** Token expiry, ms. */
  expMs: number;
  scope: Scope;
  /** Last inbound frame or pong, ms. */
  lastIn: number;
  pinged: boolean;
  /** When we started closing it (slow consumer, session end), 0 if open. */
  closingAt: number;
  /**
   * When the sweep first found its token revoked, 0 if not. The close waits
   * one more tick so the session-end event, usually a few ms behind the
   * revocation, supplies the precise reason.
   */
  revokedAt: number;
}

const kConn = Symbol('tessera.conn');
type Tagged = WebSocket & { [kConn]?: Conn };

export interface HubDeps {
  presence: PresenceService;
  clock: Clock;
  log: Logger;
  /** Unsent bytes above which a socket is a slow consumer (config wsMaxBufferedBytes). */
  maxBuffered: number;
  /** Inbound silence after which a socket is dead (settings.presenceTimeout). */
  timeoutMs: () => number;
  /** Is this token revoked now? (in-memory revocation list). */
  revoked: (c: { sid: string; jti: string; sub: string; iat: number }) => boolean;
  /** Marks the session active (batched last-seen writes). */
  touch: (sid: string) => void;
}

/** A closing socket that has not finished its close handshake by then is cut. */
const CLOSE_GRACE_MS = 5_000;

/** See Conn.revokedAt. */
const REVOKED_GRACE_MS = 900;

const PONG = Buffer.from('{"type":"pong"}');
const BAD_FRAME = Buffer.from(
  '{"type":"error","error":"VALIDATION_FAILED","message":"frames are JSON objects with a type"}',
);
const UNKNOWN_TYPE = Buffer.from(
  '{"type":"error","error":"VALIDATION_FAILED","message":"unknown type; supported: ping"}',
);

/**
 * The sockets this node holds: presence fan-out by visibility, session-end
 * closes, token-expiry closes, dead-peer detection, slow-consumer cut-off.
 */
export function createHub(d: HubDeps) {
  const conns = new Set<Conn>();
  const bySid = new Map<string, Set<Conn>>();
  /** Presence subscribers by the user type they see; `all` sees every type. */
  const byType = new Map<string, Set<Conn>>();
  /** Watchers of one user type in one tenant (the default tenant's keys are the bare type). */
  const typeKey = (tenant: string | undefined, type: string) =>
    !tenant || tenant === 'default' ? type : `${tenant}\u0000${type}`;
  const sameTenant = (a: string | undefined, b: string | undefined) =>
    (a ?? 'default') === (b ?? 'default');
  const all = new Set<Conn>();

  function add<K>(m: Map<K, Set<Conn>>, k: K, c: Conn): void {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(c);
  }
  function remove<K>(m: Map<K, Set<Conn>>, k: K, c: Conn): void {
    const s = m.get(k);
    if (s && s.delete(c) && s.size === 0) m.delete(k);
  }

  function send(c: Conn, data: Buffer | string): void {
    const ws = c.ws;
    if (ws.readyState !== 1 || c.closingAt) return;
    if (ws.bufferedAmount > d.maxBuffered) {
      // Never queue without bound for a reader that does not read.
      end(c, CLOSE_SLOW, 'slow consumer');
      return;
    }
    ws.send(data);
  }

  function end(c: Conn, code: number, reason: string, frame?: string): void {
    if (c.closingAt) return;
    if (frame && c.ws.readyState === 1) c.ws.send(frame);
    c.closingAt = d.clock.now() || 1;
    c.ws.close(code, reason);
  }

  function endSessionConn(c: Conn, r: EndReason): void {
    const reason = frameReason(r);
    end(
      c,
      CLOSE_SESSION_ENDED,
      reason,
      JSON.stringify({ type: 'session_ended', reason, detail: r }),
    );
  }

  function detach(c: Conn): void {
    if (!conns.delete(c)) return;
    remove(bySid, c.sid, c);
    if (c.scope.all) all.delete(c);
    else if (c.scope.type !== null) remove(byType, typeKey(c.scope.tenant, c.scope.type), c);
    delete (c.ws as Tagged)[kConn];
    d.presence.disconnect(c.userId);
  }

  // Shared listeners: `this` is the socket, its Conn hangs off a symbol.
  function onMessage(this: Tagged, data: RawData, isBinary: boolean): void {
    const c = this[kConn];
    if (!c) return;
    c.lastIn = d.clock.now();
    c.pinged = false;
    let type: unknown;
    if (!isBinary) {
      try {
        const msg: unknown = JSON.parse(data.toString());
        type =
          msg !== null && typeof msg === 'object' ? (msg as { type?: unknown }).type : undefined;
      } catch {
        type = undefined;
      }
    }
    if (type === 'ping') {
      d.touch(c.sid);
      send(c, PONG);
    } else send(c, type === undefined ? BAD_FRAME : UNKNOWN_TYPE);
  }
  function onPong(this: Tagged): void {
    const c = this[kConn];
    if (c) {
      c.lastIn = d.clock.now();
      c.pinged = false;
      // An open, answering socket is an active client: the session does not idle out under it.
      d.touch(c.sid);
    }
  }
  function onClose(this: Tagged): void {
    const c = this[kConn];
    if (c) detach(c);
  }
  function onError(this: Tagged, err: Error): void {
    d.log.debug({ err: err.message }, 'websocket error');
    this.terminate();
  }

  return {
    /** Takes over an upgraded socket whose token was verified at the upgrade. */
    attach(ws: WebSocket, claims: AccessClaims, scope: Scope): void {
      const now = d.clock.now();
      const c: Conn = {
        ws,
        userId: claims.sub,
        userType: claims.user_type,
        sid: claims.sid,
        jti: claims.jti,
        iat: claims.iat,
        expMs: claims.exp * 1000,
        scope,
        lastIn: now,
        pinged: false,
        closingAt: 0,
        revokedAt: 0,
      };
      // Drop per-socket closures installed by @fastify/websocket (they pin
      // the upgrade request for the socket's lifetime) for shared listeners.
      ws.removeAllListeners('error');
      ws.on('error', onError);
      ws.on('message', onMessage);
      ws.on('pong', onPong);
      ws.on('close', onClose);
      (ws as Tagged)[kConn] = c;
      conns.add(c);
      add(bySid, c.sid, c);
      if (scope.all) all.add(c);
      else if (scope.type !== null) add(byType, typeKey(scope.tenant, scope.type), c);
      d.presence.connect({
        id: c.userId,
        type: c.userType,
        name: claims.username,
        tenant: claims.tid,
      });
      // The session may have ended while the upgrade was in flight: the sweep closes it.
      if (d.revoked({ sid: c.sid, jti: c.jti, sub: c.userId, iat: c.iat })) c.revokedAt = now || 1;
    },

    /** A presence frame from the bus: to every local socket allowed to see it. */
    fanout(f: PresenceFrame): void {
      const data = Buffer.from(JSON.stringify(f));
      for (const c of all) if (sameTenant(c.scope.tenant, f.tenant)) send(c, data);
      const s = byType.get(typeKey(f.tenant, f.user_type));
      if (s) for (const c of s) send(c, data);
    },

    /** A session ended somewhere in the cluster: its sockets here get the frame and 4001. */
    endSession(sid: string, reason: EndReason): void {
      const s = bySid.get(sid);
      if (s) for (const c of [...s]) endSessionConn(c, reason);
    },

    /**
     * The one periodic pass (every second): token expiry, revocations learnt
     * without a session-end event (jti/user revocations, resync after a bus
     * outage), dead peers (ping at half the timeout, cut at the timeout) and
     * sockets stuck in closing.
     */
    sweep(now = d.clock.now()): void {
      const timeout = d.timeoutMs();
      for (const c of conns) {
        if (c.closingAt) {
          if (now - c.closingAt > CLOSE_GRACE_MS) {
            c.ws.terminate();
            detach(c);
          }
          continue;
        }
        if (now >= c.expMs) endSessionConn(c, 'EXPIRED');
        else if (c.revokedAt || d.revoked({ sid: c.sid, jti: c.jti, sub: c.userId, iat: c.iat })) {
          if (!c.revokedAt) c.revokedAt = now || 1;
          else if (now - c.revokedAt >= REVOKED_GRACE_MS) endSessionConn(c, 'REVOKED');
        } else if (now - c.lastIn >= timeout) {
          c.ws.terminate();
          detach(c);
        } else if (!c.pinged && now - c.lastIn >= timeout / 2) {
          c.pinged = true;
          c.ws.ping();
        }
      }
    },

    /** Server shutdown: every socket gets 1012 (service restart); idempotent. */
    closeAll(): void {
      for (const c of [...conns]) {
        c.ws.close(CLOSE_SERVICE_RESTART, 'server shutting down');
        detach(c);
      }
    },

    stats: () => ({
      sockets: conns.size,
      sessions: bySid.size,
      watchers: all.size + [...byType.values()].reduce((n, s) => n + s.size, 0),
    }),
  };
}

export type Hub = ReturnType<typeof createHub>;
