import type { Clock } from '../lib/clock.js';

/** What a node knows of one session: whose it is, in which tenant, until when. */
export interface LiveSession {
  /** The user id, as the token's `sub` carries it. */
  sub: string;
  tenant: string;
  /** The session's absolute end (ms). */
  expiresAt: number;
}

/** The row a loader reads for a session id, or undefined when there is none. */
export interface SessionFacts {
  user_id: number;
  expires_at: number;
  ended_at: number | null;
}

/** Why a token's session does not hold it, or null when it does. */
export type SessionRefusal = 'TOKEN_INVALID' | 'SESSION_ENDED' | null;

/** How long a session found missing or ended stays remembered so (ms). */
const NEGATIVE_TTL_MS = 60_000;

/**
 * Seed 002's "the session exists and the token belongs to it", kept off the
 * hot path's I/O (decision 0010). One table per node, for every tenant (session
 * ids are unique across tenants):
 *  - filled when this node issues a token for a session (login, refresh);
 *  - a session first seen in a token is read once, by its primary key, from
 *    the tenant's store (`confirm`), concurrent reads of one id coalesced;
 *  - emptied by the events that revoke (the revocation set's listener calls
 *    `forget`), by the session's own end, and, when full, oldest first;
 *  - sessions found missing or ended are remembered for a minute in a
 *    smaller table, so a replayed token costs one read a minute, not one a request.
 * The revocation set is still consulted before this table: an entry here
 * never makes a revoked token acceptable.
 */
export function createSessionTable(clock: Clock, max: number) {
  const live = new Map<string, LiveSession>();
  /** Refusals remembered, with the tenant whose read found them (another tenant reads again). */
  const refused = new Map<
    string,
    { why: Exclude<SessionRefusal, null>; tenant: string | null; until: number }
  >();
  const maxRefused = Math.max(1_000, Math.floor(max / 10));
  const loading = new Map<string, Promise<void>>();

  function bounded<V>(m: Map<string, V>, limit: number): void {
    while (m.size >= limit) {
      const oldest = m.keys().next();
      if (oldest.done) return;
      m.delete(oldest.value);
    }
  }

  function put(sid: string, s: LiveSession): void {
    refused.delete(sid);
    if (!live.has(sid)) bounded(live, max);
    live.set(sid, s);
  }

  /** `tenant` null: the session itself ended, whichever tenant asks. */
  function refuse(sid: string, why: Exclude<SessionRefusal, null>, tenant: string | null): void {
    const s = live.get(sid);
    if (s && tenant !== null && s.tenant !== tenant) return;
    live.delete(sid);
    bounded(refused, maxRefused);
    refused.set(sid, { why, tenant, until: clock.now() + NEGATIVE_TTL_MS });
  }

  return {
    put,
    /** The session ended (revocation, policy, expiry): its tokens are refused. */
    forget(sid: string): void {
      if (live.has(sid)) refuse(sid, 'SESSION_ENDED', null);
    },
    /**
     * Hot path: does session `sid` hold a token of user `sub` in `tenant`?
     * undefined = this node does not know the session yet (call `confirm`).
     */
    check(sid: string, sub: string, tenant: string): SessionRefusal | undefined {
      const s = live.get(sid);
      if (s !== undefined) {
        if (s.sub !== sub || s.tenant !== tenant) return 'TOKEN_INVALID';
        if (s.expiresAt <= clock.now()) {
          refuse(sid, 'SESSION_ENDED', null);
          return 'SESSION_ENDED';
        }
        return null;
      }
      const r = refused.get(sid);
      if (r === undefined) return undefined;
      if (r.until <= clock.now()) {
        refused.delete(sid);
        return undefined;
      }
      return r.tenant === null || r.tenant === tenant ? r.why : undefined;
    },
    /**
     * Reads an unknown session once (one indexed read by id, through the
     * tenant's scope) and records what it found. Throws what the read throws:
     * an outage becomes 503 UNAVAILABLE, never an acceptance.
     */
    async confirm(
      sid: string,
      tenant: string,
      read: (sid: string) => Promise<SessionFacts | undefined>,
    ): Promise<void> {
      const key = `${tenant}/${sid}`;
      let p = loading.get(key);
      if (!p) {
        p = read(sid).then(
          (row) => {
            loading.delete(key);
            if (!row) return refuse(sid, 'TOKEN_INVALID', tenant);
            if (row.ended_at !== null || row.expires_at <= clock.now())
              return refuse(sid, 'SESSION_ENDED', tenant);
            put(sid, { sub: String(row.user_id), tenant, expiresAt: row.expires_at });
          },
          (e: unknown) => {
            loading.delete(key);
            throw e;
          },
        );
        loading.set(key, p);
      }
      return p;
    },
    /** Drops entries past their end (background). */
    sweep(): void {
      const now = clock.now();
      for (const [k, s] of live) if (s.expiresAt <= now) live.delete(k);
      for (const [k, r] of refused) if (r.until <= now) refused.delete(k);
    },
    size: () => ({ live: live.size, refused: refused.size }),
  };
}

export type SessionTable = ReturnType<typeof createSessionTable>;
