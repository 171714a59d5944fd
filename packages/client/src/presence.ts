/**
 * The realtime socket `GET /ws` (docs/api.md "Realtime presence"): the token
 * rides as the subprotocol pair `bearer, <token>` (browsers cannot set
 * headers on a WebSocket), frames are JSON. The client pings every
 * `heartbeatMs` (`{"type":"ping"}` → `{"type":"pong"}`), which also keeps the
 * session active; a socket silent for two heartbeats is dead and replaced.
 * Closes other than a session's end reconnect after a jittered exponential
 * backoff ("full jitter": a random delay up to min(max, base · 2^attempt)).
 */

/** The part of the WebSocket API used here (browsers' WebSocket, or `ws` in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** `{ type: "presence" }`: a user came online or went offline. */
export interface PresenceEvent {
  type: 'presence';
  user_id: string;
  user_type: string;
  status: 'online' | 'offline';
  at: number;
  tenant?: string;
}

/** `{ type: "session_ended" }`: the session is over (the server then closes with 4001). */
export interface SessionEndedEvent {
  type: 'session_ended';
  reason: 'LOGGED_IN_ELSEWHERE' | 'LOGGED_OUT' | 'FORCE_LOGOUT' | 'EXPIRED' | (string & {});
  /** The server's exact reason (e.g. PASSWORD_CHANGED, SESSION_LIMIT). */
  detail?: string;
}

export type PresenceState = 'connecting' | 'open' | 'waiting' | 'closed';

export interface PresenceEvents {
  presence: PresenceEvent;
  session_ended: SessionEndedEvent;
  /** Every frame as it came, `pong` and `error` included. */
  frame: Record<string, unknown>;
  state: PresenceState;
}

export interface PresenceOptions {
  /** @default the client's WebSocket option, else globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** The socket URL. @default `<baseUrl as ws(s)>[/t/<tenant>]/ws` */
  url?: string;
  /** Ping period; the server's presence timeout is 60 s by default. @default 20_000 */
  heartbeatMs?: number;
  /** First reconnect delay bound. @default 500 */
  backoffBaseMs?: number;
  /** Largest reconnect delay bound. @default 30_000 */
  backoffMaxMs?: number;
  /** Random source in [0, 1) of the jitter (tests). @default Math.random */
  random?: () => number;
}

export interface PresenceClient {
  on<K extends keyof PresenceEvents>(event: K, fn: (e: PresenceEvents[K]) => void): () => void;
  readonly state: PresenceState;
  /** Reconnect attempts since the last socket that opened. */
  readonly attempts: number;
  /** Closes the socket for good (no reconnect). */
  close(): void;
}

/** The server closes with 4001 after `session_ended`. */
const CLOSE_SESSION_ENDED = 4001;
/** Our own close of a socket that stopped answering. */
const CLOSE_DEAD = 4000;

export function createPresence(
  o: PresenceOptions & {
    url: string;
    token: () => Promise<string | null>;
    onSessionEnded: (e: SessionEndedEvent) => void;
  },
): PresenceClient {
  const found = o.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!found) throw new Error('no WebSocket: pass options.WebSocket (in Node: the `ws` package)');
  const WS: WebSocketConstructor = found;
  const heartbeatMs = o.heartbeatMs ?? 20_000;
  const base = o.backoffBaseMs ?? 500;
  const max = o.backoffMaxMs ?? 30_000;
  const random = o.random ?? Math.random;
  const handlers: { [K in keyof PresenceEvents]: Set<(e: PresenceEvents[K]) => void> } = {
    presence: new Set(),
    session_ended: new Set(),
    frame: new Set(),
    state: new Set(),
  };
  let state: PresenceState = 'connecting';
  let attempts = 0;
  let ws: WebSocketLike | undefined;
  let beat: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let lastIn = 0;
  let stopped = false;

  function fire<K extends keyof PresenceEvents>(k: K, e: PresenceEvents[K]): void {
    for (const h of [...handlers[k]]) h(e);
  }
  function setState(s: PresenceState): void {
    if (state === s) return;
    state = s;
    fire('state', s);
  }
  function stopBeat(): void {
    if (beat !== undefined) clearInterval(beat);
    beat = undefined;
  }

  function reconnect(): void {
    if (stopped) return;
    setState('waiting');
    const delay = Math.floor(random() * Math.min(max, base * 2 ** attempts));
    attempts++;
    retry = setTimeout(() => {
      retry = undefined;
      void open();
    }, delay);
  }

  async function open(): Promise<void> {
    if (stopped) return;
    setState('connecting');
    let token: string | null;
    try {
      token = await o.token();
    } catch {
      // Refresh failed for a reason other than a refusal (network): try again later.
      return reconnect();
    }
    if (stopped) return;
    if (!token) return stop();
    let endedFrame = false;
    const s = new WS(o.url, ['bearer', token]);
    ws = s;
    s.onopen = () => {
      if (ws !== s) return;
      lastIn = Date.now();
      setState('open');
      beat = setInterval(() => {
        // Open for a whole heartbeat: a good connection, the backoff starts over.
        attempts = 0;
        if (Date.now() - lastIn > 2 * heartbeatMs) {
          // Two heartbeats without a frame: a dead peer or a silent network. Replace it.
          s.close(CLOSE_DEAD, 'no pong');
          return;
        }
        s.send('{"type":"ping"}');
      }, heartbeatMs);
    };
    s.onmessage = (ev) => {
      if (ws !== s) return;
      lastIn = Date.now();
      let f: Record<string, unknown>;
      try {
        f = JSON.parse(String(ev.data)) as Record<string, unknown>;
      } catch {
        return;
      }
      fire('frame', f);
      if (f.type === 'presence') fire('presence', f as unknown as PresenceEvent);
      else if (f.type === 'session_ended') {
        endedFrame = true;
        const e = f as unknown as SessionEndedEvent;
        // EXPIRED: this access token's life is over, not the session: reconnect with a new one.
        if (e.reason !== 'EXPIRED') {
          stop();
          o.onSessionEnded(e);
        }
        fire('session_ended', e);
      }
    };
    s.onerror = () => {
      // The close event follows and decides.
    };
    s.onclose = (ev) => {
      if (ws !== s) return;
      ws = undefined;
      stopBeat();
      if (stopped) return;
      // After an EXPIRED frame: a new token and a new socket, through the backoff (a clock
      // skew that keeps the token expired for the server must not spin).
      if (ev.code === CLOSE_SESSION_ENDED && endedFrame) return reconnect();
      if (ev.code === CLOSE_SESSION_ENDED) {
        stop();
        o.onSessionEnded({ type: 'session_ended', reason: 'FORCE_LOGOUT' });
        return;
      }
      reconnect();
    };
  }

  function stop(): void {
    stopped = true;
    stopBeat();
    if (retry !== undefined) clearTimeout(retry);
    retry = undefined;
    const s = ws;
    ws = undefined;
    if (s && s.readyState <= 1) s.close(1000, 'client closed');
    setState('closed');
  }

  void open();
  return {
    on(k, fn) {
      handlers[k].add(fn);
      return () => void handlers[k].delete(fn);
    },
    get state() {
      return state;
    },
    get attempts() {
      return attempts;
    },
    close: stop,
  };
}
