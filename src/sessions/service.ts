import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Audit, RequestMeta } from '../audit/audit.js';
import type { Bus } from '../bus/bus.js';
import type { Database, Dialect } from '../db/types.js';
import { fail } from '../http/errors.js';
import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import type { SettingsService } from '../settings/service.js';
import { policyFor } from '../settings/policy.js';
import type { LastSeen } from './last-seen.js';
import type { RevocationList } from './revocation.js';
import type { SessionRow, SessionStore } from './store.js';

/** Why a session ended; also the `reason` of WebSocket `session_ended` frames. */
export type EndReason = 'LOGGED_OUT' | 'LOGGED_IN_ELSEWHERE' | 'FORCE_LOGOUT' | 'EXPIRED' | 'SESSION_LIMIT' | 'PASSWORD_CHANGED' | 'USER_DISABLED' | 'REFRESH_REUSE' | 'REVOKED';

export interface SessionEndedEvent {
  sid: string;
  userId: number;
  reason: EndReason;
}

export const SESSION_ENDED_CHANNEL = 'session-ended';

/** Who ended a session, for the audit row: the administrator, and the request's origin. */
export interface EndMeta {
  actorId?: number | null;
  ip?: string | null;
  userAgent?: string | null;
  deviceId?: string | null;
}

export interface SessionDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  store: SessionStore;
  revocations: RevocationList;
  settings: SettingsService;
  bus: Bus;
  audit: Audit;
  clock: Clock;
  clockSkewSec: number;
  /** Told when a session's last-seen was just written, so the hot path does not mark it again. */
  lastSeen?: Pick<LastSeen, 'noteWritten'>;
}

/**
 * Server-side sessions next to stateless access tokens (seed 002/003/004).
 * A session is one login on one device; its refresh tokens rotate inside it
 * and its access tokens carry its id (`sid`). Ending it revokes `sid` in the
 * in-memory revocation set of every node.
 */
export function createSessionService(d: SessionDeps) {
  const { store, clock } = d;

  /** How long an access token issued now may live: what a sid revocation must cover. */
  const accessHorizon = () => clock.now() + (d.settings.get().accessTokenTtl + d.clockSkewSec) * 1000;
  const idleSince = (now: number) => now - d.settings.get().sessionIdleTimeout * 1000;

  async function endRow(row: Pick<SessionRow, 'id' | 'user_id'>, reason: EndReason, q?: Transaction<Database>): Promise<boolean> {
    const ended = await store.end(row.id, clock.now(), reason, q);
    return ended;
  }

  /** After the transaction: revoke and tell everyone (presence closes sockets). */
  async function announce(ended: { id: string; user_id: number }[], reason: EndReason, meta?: EndMeta): Promise<void> {
    for (const s of ended) {
      await d.revocations.revoke({ kind: 'sid', value: s.id, expiresAt: accessHorizon() });
      const ev: SessionEndedEvent = { sid: s.id, userId: s.user_id, reason };
      await d.bus.publish(SESSION_ENDED_CHANNEL, ev);
      d.audit.record({ event: 'session.end', outcome: 'info', userId: s.user_id, sessionId: s.id, reason, actorId: meta?.actorId ?? null, ip: meta?.ip ?? null, userAgent: meta?.userAgent ?? null, deviceId: meta?.deviceId ?? null });
    }
  }

  return {
    /**
     * Opens a session for a successful login, applying the user type's login
     * policy (multi / single / reject) and the per-user cap, atomically per user.
     */
    async open(user: { id: number; user_type: string }, meta: RequestMeta): Promise<SessionRow> {
      const s = d.settings.get();
      const policy = policyFor(s.loginPolicyMap, user.user_type);
      const now = clock.now();
      const ended: { id: string; user_id: number; reason: EndReason }[] = [];
      const row: SessionRow = {
        id: randomId(18),
        user_id: user.id,
        device_id: meta.deviceId ?? null,
        device_name: meta.deviceName ?? null,
        ip: meta.ip,
        user_agent: meta.userAgent ? meta.userAgent.slice(0, 512) : null,
        created_at: now,
        last_seen_at: now,
        expires_at: now + s.sessionMaxLifetime * 1000,
        ended_at: null,
        end_reason: null,
      };
      await d.db.transaction().execute(async (tx) => {
        // Serialise logins of one user across nodes (PostgreSQL row lock;
        // SQLite transactions are serial already).
        if (d.dialect === 'postgres') {
          await sql`select id from users where id = ${user.id} for update`.execute(tx);
        }
        // Only ids leave SQL: under the `multi` policy a user may hold many sessions.
        const since = idleSince(now);
        let toEnd: { id: string; user_id: number }[] = [];
        if (policy === 'reject') {
          if ((await store.oldestAlive(user.id, now, since, 1, tx)).length > 0) fail('LOGIN_REJECTED');
        } else if (policy === 'single') toEnd = await store.oldestAlive(user.id, now, since, undefined, tx);
        else {
          const over = (await store.aliveCount(user.id, now, since, tx)) - s.maxSessions + 1;
          if (over > 0) toEnd = await store.oldestAlive(user.id, now, since, over, tx);
        }
        for (const old of toEnd) {
          const reason: EndReason = policy === 'single' ? 'LOGGED_IN_ELSEWHERE' : 'SESSION_LIMIT';
          if (await endRow(old, reason, tx)) ended.push({ id: old.id, user_id: old.user_id, reason });
        }
        await store.insert(row, tx);
      });
      d.lastSeen?.noteWritten(row.id, now);
      for (const e of ended) await announce([e], e.reason, { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null });
      return row;
    },

    get: (sid: string, q?: Transaction<Database>) => store.get(sid, q),

    /** A refresh wrote the session's last-seen. */
    noteActivity(sid: string, at: number): void {
      d.lastSeen?.noteWritten(sid, at);
    },

    /** Is this session usable now? (Used by refresh, not by the hot path.) */
    usable(row: SessionRow | undefined, now = clock.now()): row is SessionRow {
      return !!row && row.ended_at === null && row.expires_at > now && row.last_seen_at > idleSince(now);
    },

    async end(sid: string, reason: EndReason, meta?: EndMeta): Promise<boolean> {
      const row = await store.get(sid);
      if (!row) return false;
      if (!(await endRow(row, reason))) return false;
      await announce([row], reason, meta);
      return true;
    },

    /** Ends every live session of a user, except `keep` (e.g. the caller's own). */
    async endAll(userId: number, reason: EndReason, opts: EndMeta & { keep?: string } = {}): Promise<number> {
      const now = clock.now();
      const rows = await d.db.selectFrom('sessions').select(['id', 'user_id']).where('user_id', '=', userId).where('ended_at', 'is', null).execute();
      const ended: { id: string; user_id: number }[] = [];
      for (const r of rows) {
        if (r.id === opts.keep) continue;
        if (await store.end(r.id, now, reason)) ended.push(r);
      }
      await announce(ended, reason, opts);
      return ended.length;
    },

    /** The user's live sessions, newest first. */
    async list(userId: number): Promise<SessionRow[]> {
      const now = clock.now();
      return (await store.alive(userId, now, idleSince(now))).reverse();
    },

    /** Ends sessions past their idle or absolute limit (background sweep). */
    async expireStale(limit = 500): Promise<number> {
      const now = clock.now();
      const rows = await store.expiredOpen(now, idleSince(now), limit);
      const ended: { id: string; user_id: number }[] = [];
      for (const r of rows) if (await store.end(r.id, now, 'EXPIRED')) ended.push(r);
      await announce(ended, 'EXPIRED');
      return ended.length;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
