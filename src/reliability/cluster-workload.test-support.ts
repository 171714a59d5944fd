/**
 * The mixed workload of the three-node fault run (cluster-faults.test.ts):
 * virtual users that log in, open customer-service WebSockets, validate
 * (/me on any node), refresh (alone, or the same refresh token on two nodes at
 * once) and end their sessions (logout or DELETE /api/auth/sessions/:id), each
 * call logged; and the continuous checker of the invariants that hold at
 * every moment:
 *  (a) a token whose session's end answered is refused (never 200) on every
 *      node from 1 s after the answer;
 *  (b) of concurrent refreshes of one refresh token, at most one successor;
 *  (d) every socket of an ended session is closed within SOCKET_CLOSE_BOUND_MS;
 *  and no answer is a 5xx other than 503, no call to a node that was not
 *  killed fails without an answer.
 * The audit (c), online lists (e) and the database check are in
 * cluster-faults.test-support.ts. Nothing here depends on how a node decides
 * that a token is revoked: only on the answers.
 */
import WebSocket from 'ws';
import type { Answer, FaultNode } from '../test-support/faults/fault-node.js';
import { sleep } from '../test-support/faults/shared.js';
import { wrap, type Client } from '../presence/ws-client.test-support.js';

export const PASSWORD = 'a-strong-passphrase';
/** (a): from this long after the answer of a session's end, every node refuses its tokens. */
const REVOKED_BOUND_MS = 1_000;
/**
 * (d): a socket of an ended session is closed (or told session_ended) within
 * this. Without the bus (Redis down) the node learns the end from its SQL poll
 * (500 ms), its once-a-second sweep sees it, waits 900 ms for the precise
 * reason, and closes on the next pass: at most about 3.4 s.
 */
const SOCKET_CLOSE_BOUND_MS = 4_000;

export type Kind =
  'login' | 'refresh' | 'refresh-pair' | 'me' | 'logout' | 'session-delete' | 'online' | 'ws';

/** One call as the client saw it. `at`: ms since the run started, when it was sent. */
export interface Call {
  kind: Kind;
  node: string;
  at: number;
  ms: number;
  status: number;
  code?: string;
  failure?: string;
}

export interface Violation {
  invariant: 'a' | 'b' | 'c' | 'd' | 'e' | '5xx' | 'no-answer' | 'db';
  at: number;
  detail: string;
}

interface Sock {
  client: Client;
  node: string;
  userId: string;
  closedAt?: number;
  endedFrameAt?: number;
}

interface Session {
  userId: string;
  sid: string;
  access: string[];
  refresh: string;
  sockets: Sock[];
  /** No more steps: the session ended or its refresh was refused. */
  over: boolean;
  /** Its end answered (it is in `ended`). */
  endAnswered: boolean;
}

/** A session whose end answered: its tokens and sockets are watched. */
export interface Ended {
  sid: string;
  via: 'logout' | 'session-delete' | 'refresh-reuse';
  tokens: string[];
  sockets: Sock[];
  answeredAt: number;
  checks: number;
  socketsFlagged: boolean;
}

const claims = (t: string) =>
  JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    sid: string;
    sub: string;
  };
const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];
const codeOf = (r: Answer): string | undefined =>
  typeof r.data?.error === 'string' ? (r.data.error as string) : undefined;

/** The workload and its continuous checks, over `nodes()` (the cluster's nodes, read each time). */
export class Workload {
  readonly calls: Call[] = [];
  readonly violations: Violation[] = [];
  readonly ended: Ended[] = [];
  /** Audit rows the answers promise: session id → event → count. */
  readonly audit = new Map<string, Map<string, number>>();
  /** Every session id a login answered. */
  readonly sids = new Set<string>();
  readonly sockets: Sock[] = [];
  /** Nodes kept out of the workload (being restarted, not yet checked). */
  readonly out = new Set<FaultNode>();
  /** Nodes SIGKILLed and not restarted yet: calls to them may go unanswered. */
  readonly killed = new Set<string>();
  /** Socket close delays after an answered end, ms, with the time of the answer (for the record). */
  readonly closeDelays: { at: number; ms: number }[] = [];
  private readonly t0 = performance.now();
  private stopped = false;
  private paused = false;
  private parked = 0;
  private running: Promise<void>[] = [];

  constructor(
    private readonly nodes: () => readonly FaultNode[],
    private readonly users: readonly string[],
  ) {}

  now(): number {
    return performance.now() - this.t0;
  }

  inService(): FaultNode[] {
    return this.nodes().filter((n) => n.alive && !this.out.has(n));
  }

  /** One logged call on `n`. */
  async call(
    kind: Kind,
    n: FaultNode,
    method: string,
    path: string,
    opts: { body?: unknown; token?: string } = {},
  ): Promise<Answer> {
    const at = this.now();
    const r = await n.call(method, path, { ...opts, timeoutMs: 5000 });
    const code = codeOf(r);
    this.calls.push({
      kind,
      node: n.name,
      at,
      ms: r.ms,
      status: r.status,
      ...(code ? { code } : {}),
      ...(r.failure ? { failure: r.failure } : {}),
    });
    if (r.status >= 500 && r.status !== 503)
      this.violate('5xx', `${kind} on ${n.name}: ${r.status} ${JSON.stringify(r.data)}`);
    if (r.status === 0 && !this.killed.has(n.name))
      this.violate('no-answer', `${kind} on ${n.name} (not killed): ${r.failure}`);
    return r;
  }

  violate(invariant: Violation['invariant'], detail: string): void {
    this.violations.push({ invariant, at: Math.round(this.now()), detail });
  }

  expectAudit(sid: string, event: string): void {
    let m = this.audit.get(sid);
    if (!m) this.audit.set(sid, (m = new Map()));
    m.set(event, (m.get(event) ?? 0) + 1);
  }

  /** A login on `n`; a 200 is a live session (and a promised `login.success` row). */
  async login(kind: Kind, n: FaultNode, username: string): Promise<Session | undefined> {
    const r = await this.call(kind, n, 'POST', '/api/public/auth/login', {
      body: { username, password: PASSWORD },
    });
    if (r.status !== 200) return undefined;
    const t = r.data.data as { access_token: string; refresh_token: string };
    const c = claims(t.access_token);
    this.sids.add(c.sid);
    this.expectAudit(c.sid, 'login.success');
    return {
      userId: c.sub,
      sid: c.sid,
      access: [t.access_token],
      refresh: t.refresh_token,
      sockets: [],
      over: false,
      endAnswered: false,
    };
  }

  private async openSocket(s: Session, n: FaultNode): Promise<void> {
    const at = this.now();
    const ws = new WebSocket(`ws://127.0.0.1:${n.port}/ws?jwt_token=${s.access.at(-1)}`, {
      perMessageDeflate: false,
    });
    const client = wrap(ws);
    const outcome = await new Promise<{ status: number; failure?: string }>((resolve) => {
      const t = setTimeout(() => resolve({ status: 0, failure: 'timeout' }), 5000);
      ws.once('open', () => (clearTimeout(t), resolve({ status: 101 })));
      ws.once(
        'unexpected-response',
        (_q, res) => (clearTimeout(t), resolve({ status: res.statusCode ?? 0 })),
      );
      ws.once('error', (e) => (clearTimeout(t), resolve({ status: 0, failure: e.message })));
    });
    ws.on('error', () => {});
    this.calls.push({ kind: 'ws', node: n.name, at, ms: this.now() - at, ...outcome });
    if (outcome.status !== 101) return void ws.terminate();
    const sock: Sock = { client, node: n.name, userId: s.userId };
    ws.on('message', () => {
      if (!sock.endedFrameAt && client.frames.some((f) => f.type === 'session_ended'))
        sock.endedFrameAt = this.now();
    });
    void client.closed.then(() => (sock.closedAt = this.now()));
    s.sockets.push(sock);
    this.sockets.push(sock);
  }

  /** A session's end answered (200, or 401 TOKEN_REVOKED of a refresh reuse): watched from now on. */
  private endedNow(s: Session, via: Ended['via'], answeredAt: number): void {
    s.over = true;
    s.endAnswered = true;
    this.ended.push({
      sid: s.sid,
      via,
      tokens: s.access,
      sockets: s.sockets,
      answeredAt,
      checks: 0,
      socketsFlagged: false,
    });
  }

  private async refresh(s: Session, pair: boolean): Promise<void> {
    const live = this.inService();
    const first = pick(live);
    if (!first) return;
    const second = pick(live.filter((n) => n !== first)) ?? first;
    const token = s.refresh;
    const one = (n: FaultNode) =>
      this.call(pair ? 'refresh-pair' : 'refresh', n, 'POST', '/api/public/auth/refresh', {
        body: { refresh_token: token },
      }).then((r) => ({ r, answeredAt: this.now() }));
    const answers = await Promise.all(pair ? [one(first), one(second)] : [one(first)]);
    const oks = answers.filter((a) => a.r.status === 200);
    const fresh = new Set(
      oks.map((a) => (a.r.data.data as { refresh_token: string }).refresh_token),
    );
    if (fresh.size > 1)
      this.violate('b', `session ${s.sid}: ${fresh.size} distinct successors of one refresh token`);
    for (const a of oks) {
      const t = a.r.data.data as { access_token: string; refresh_token: string };
      this.expectAudit(s.sid, 'refresh');
      s.access.push(t.access_token);
      s.refresh = t.refresh_token;
    }
    const reuse = answers.find((a) => a.r.status === 401 && codeOf(a.r) === 'TOKEN_REVOKED');
    if (reuse) {
      this.expectAudit(s.sid, 'refresh.reuse');
      this.expectAudit(s.sid, 'session.end');
      this.endedNow(s, 'refresh-reuse', reuse.answeredAt);
    } else if (answers.some((a) => a.r.status === 401)) s.over = true;
  }

  /** Ends `s` on any node, retrying what did not answer 200 (bounded); false if it never did. */
  async end(s: Session): Promise<{ ok: boolean; last?: string }> {
    let last: string | undefined;
    const del = Math.random() < 0.3;
    for (let i = 0; i < 60; i++) {
      const n = pick(this.inService());
      if (n) {
        const token = s.access.at(-1)!;
        const r = del
          ? await this.call('session-delete', n, 'DELETE', `/api/auth/sessions/${s.sid}`, { token })
          : await this.call('logout', n, 'POST', '/api/public/auth/logout', { token });
        if (r.status === 200) {
          if (!del) this.expectAudit(s.sid, 'logout');
          this.expectAudit(s.sid, 'session.end');
          this.endedNow(s, del ? 'session-delete' : 'logout', this.now());
          return { ok: true };
        }
        last = `${del ? 'session-delete' : 'logout'} on ${n.name}: ${r.status} ${codeOf(r) ?? r.failure ?? ''}`;
        // Refused: the session is over already (an earlier try committed without answering).
        if (r.status === 401 || r.status === 404) break;
      }
      await sleep(250);
    }
    // Never answered 200: not watched; its sockets are closed here so the online check holds.
    s.over = true;
    for (const k of s.sockets) k.client.ws.close();
    return { ok: false, ...(last ? { last } : {}) };
  }

  private async gate(): Promise<void> {
    if (!this.paused) return;
    this.parked++;
    while (this.paused && !this.stopped) await sleep(20);
    this.parked--;
  }

  private async user(username: string): Promise<void> {
    while (!this.stopped) {
      await this.gate();
      const n = pick(this.inService());
      const s = n && (await this.login('login', n, username));
      if (!s) {
        await sleep(100);
        continue;
      }
      const wsNode = pick(this.inService());
      if (wsNode && Math.random() < 0.6) await this.openSocket(s, wsNode);
      const steps = 2 + Math.floor(Math.random() * 4);
      for (let i = 0; i < steps && !s.over && !this.stopped; i++) {
        await this.gate();
        const x = Math.random();
        const m = pick(this.inService());
        if (!m) break;
        if (x < 0.5)
          await this.call('me', m, 'GET', '/api/public/auth/me', { token: s.access.at(-1)! });
        else if (x < 0.8) await this.refresh(s, false);
        else if (x < 0.9) await this.refresh(s, true);
        else await this.call('online', m, 'GET', '/api/auth/online', { token: s.access.at(-1)! });
        await sleep(10 + Math.random() * 30);
      }
      if (!s.endAnswered) await this.end(s);
    }
  }

  /** (a) on `nodes`: the first and the last token of `e` must not answer 200. */
  async checkEnded(e: Ended, nodes: readonly FaultNode[]): Promise<number> {
    let checked = 0;
    const tokens = [...new Set([e.tokens[0]!, e.tokens.at(-1)!])];
    await Promise.all(
      nodes.flatMap((n) =>
        tokens.map(async (token) => {
          const sent = this.now();
          if (sent - e.answeredAt < REVOKED_BOUND_MS) return;
          const r = await this.call('me', n, 'GET', '/api/public/auth/me', { token });
          checked++;
          if (r.status === 200)
            this.violate(
              'a',
              `token of session ${e.sid} (${e.via}) accepted on ${n.name} ${Math.round(sent - e.answeredAt)} ms after the answer`,
            );
        }),
      ),
    );
    return checked;
  }

  /**
   * (a) on `nodes` for every session ended in the last two minutes and 300
   * older ones picked at random (a long run ends thousands), a few at a time;
   * returns how many checks ran.
   */
  async sweepEnded(nodes: readonly FaultNode[]): Promise<number> {
    let checked = 0;
    const since = this.now() - 120_000;
    const older = this.ended.filter((e) => e.answeredAt < since);
    const queue = [
      ...this.ended.filter((e) => e.answeredAt >= since),
      ...older.sort(() => Math.random() - 0.5).slice(0, 300),
    ];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let e = queue.shift(); e; e = queue.shift()) {
          const n = await this.checkEnded(e, nodes);
          checked += n;
        }
      }),
    );
    return checked;
  }

  /** (d) for `e`: its sockets closed (or told) within the bound. */
  private checkSockets(e: Ended): void {
    const now = this.now();
    const open = e.sockets.filter((k) => k.closedAt === undefined && k.endedFrameAt === undefined);
    if (open.length === 0 && !e.socketsFlagged) {
      e.socketsFlagged = true;
      for (const k of e.sockets)
        this.closeDelays.push({
          at: e.answeredAt,
          ms: Math.min(k.endedFrameAt ?? Infinity, k.closedAt ?? Infinity) - e.answeredAt,
        });
    } else if (open.length && !e.socketsFlagged && now - e.answeredAt > SOCKET_CLOSE_BOUND_MS) {
      e.socketsFlagged = true;
      this.violate(
        'd',
        `${open.length} socket(s) of session ${e.sid} (${e.via}, on ${open.map((k) => k.node).join(',')}) still open ${Math.round(now - e.answeredAt)} ms after the answer`,
      );
    }
  }

  /** Each ended session is checked on every node in service at +1 s, +2 s, +3 s; sockets all along. */
  private async checker(): Promise<void> {
    while (!this.stopped) {
      const now = this.now();
      const due = this.ended.filter(
        (e) => e.checks < 3 && now - e.answeredAt >= REVOKED_BOUND_MS * (1 + e.checks),
      );
      for (const e of due) e.checks++;
      await Promise.all(due.map((e) => this.checkEnded(e, this.inService())));
      for (const e of this.ended) this.checkSockets(e);
      await sleep(200);
    }
  }

  start(): void {
    this.running = [...this.users.map((u) => this.user(u)), this.checker()];
  }

  /** Holds every user between two steps (sessions and sockets stay as they are). */
  async pause(limitMs = 15_000): Promise<boolean> {
    this.paused = true;
    const deadline = Date.now() + limitMs;
    while (this.parked < this.users.length && Date.now() < deadline) await sleep(20);
    return this.parked >= this.users.length;
  }

  resume(): void {
    this.paused = false;
  }

  /** Stops the users (each ends its session first) and the checker; closes every socket left. */
  async stop(): Promise<void> {
    this.paused = false;
    this.stopped = true;
    await Promise.all(this.running);
    for (const e of this.ended) this.checkSockets(e);
    for (const k of this.sockets) k.client.ws.terminate();
  }

  /** Users with an open socket whose session did not end: who must be online. */
  expectedOnline(): Set<string> {
    const over = new Set(this.ended.flatMap((e) => e.sockets));
    return new Set(
      this.sockets
        .filter((k) => k.client.ws.readyState === WebSocket.OPEN && !over.has(k))
        .map((k) => k.userId),
    );
  }

  /** Sockets of ended sessions not closed yet. */
  endedStillOpen(): number {
    return this.ended.flatMap((e) => e.sockets).filter((k) => k.closedAt === undefined).length;
  }
}
