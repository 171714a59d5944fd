import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Audit } from '../audit/audit.js';
import type { RequestMeta } from '../contract/meta.js';
import type { Bus } from '../bus/bus.js';
import { inUnit, type Unit } from '../db/unit.js';
import type { Database, Dialect } from '../db/types.js';
import { fail } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { failpoint } from '../lib/failpoint.js';
import { randomId } from '../lib/crypto.js';
import type { SettingsService } from '../settings/service.js';
import { policyFor } from '../settings/policy.js';
import type { LastSeen } from './last-seen.js';
import type { RevocationList } from './revocation.js';
import type { SessionRow, SessionStore } from './store.js';

/** Why a session ended; also the `reason` of WebSocket `session_ended` frames. */
export type EndReason =
  | 'LOGGED_OUT'
  | 'LOGGED_IN_ELSEWHERE'
  | 'FORCE_LOGOUT'
  | 'EXPIRED'
  | 'SESSION_LIMIT'
  | 'PASSWORD_CHANGED'
  | 'USER_DISABLED'
  | 'REFRESH_REUSE'
  | 'REVOKED';

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
  /** How long an access token issued now can be accepted (TTL + skew), ms (src/tokens/horizon.ts). */
  tokenLifeMs: () => number;
  /** Told when a session's last-seen was just written, so the hot path does not mark it again. */
  lastSeen?: Pick<LastSeen, 'noteWritten'>;
  /** An after-commit effect (publish) failed: reported, never thrown. */
  onEffectError?: (e: unknown) => void;
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
  const tokenLifeMs = d.tokenLifeMs;
  const idleSince = (now: number) => now - d.settings.get().sessionIdleTimeout * 1000;
  const unit = <T>(fn: (u: Unit) => Promise<T>, outer?: Unit) =>
    inUnit(d.db, fn, outer, d.onEffectError);

  /**
   * Ends a session inside `u`: the row, its revocation and its audit row
   * commit together or not at all (issue 20). A session already ended
   * (by another node, or by a version that could die between the two
   * writes) still gets its revocation made sure of and published again:
   * ending is idempotent, never a silent success without revocation.
   * Returns true when this call ended it.
   */
  async function endIn(
    u: Unit,
    row: Pick<SessionRow, 'id' | 'user_id' | 'ended_at'>,
    reason: EndReason,
    meta?: EndMeta,
  ): Promise<boolean> {
    const now = clock.now();
    const endedNow = row.ended_at === null && (await store.end(row.id, now, reason, u.tx));
    // Tokens of the session were issued before it ended; they live at most tokenLifeMs after.
    const endedAt = endedNow || row.ended_at === null ? now : row.ended_at;
    if (endedAt + tokenLifeMs() > now)
      await d.revocations.persist(u, {
        kind: 'sid',
        value: row.id,
        expiresAt: endedAt + tokenLifeMs(),
      });
    if (endedNow) {
      await d.audit.write(u, {
        event: 'session.end',
        outcome: 'info',
        userId: row.user_id,
        sessionId: row.id,
        reason,
        actorId: meta?.actorId ?? null,
        ip: meta?.ip ?? null,
        userAgent: meta?.userAgent ?? null,
        deviceId: meta?.deviceId ?? null,
      });
    }
    failpoint('sessions.end.before-commit');
    // Presence closes the session's sockets on every node (idempotent there).
    const ev: SessionEndedEvent = { sid: row.id, userId: row.user_id, reason };
    u.afterCommit(() =>
      d.bus.publish(SESSION_ENDED_CHANNEL, ev).catch((e: unknown) => d.onEffectError?.(e)),
    );
    return endedNow;
  }

  return {
    /**
     * Opens a session for a successful login, applying the user type's login
     * policy (multi / single / reject) and the per-user cap, atomically per user.
     */
    async open(
      user: { id: number; user_type: string },
      meta: RequestMeta,
      outer?: Unit,
    ): Promise<SessionRow> {
      const s = d.settings.get();
      const policy = policyFor(s.loginPolicyMap, user.user_type);
      const now = clock.now();
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
      await unit(async (u) => {
        const tx = u.tx;
        // Serialise logins of one user across nodes (PostgreSQL row lock;
        // SQLite transactions are serial already).
        if (d.dialect === 'postgres') {
          await sql`select id from users where id = ${user.id} for update`.execute(tx);
        }
        // Only ids leave SQL: under the `multi` policy a user may hold many sessions.
        const since = idleSince(now);
        let toEnd: { id: string; user_id: number }[] = [];
        if (policy === 'reject') {
          if ((await store.oldestAlive(user.id, now, since, 1, tx)).length > 0)
            fail('LOGIN_REJECTED');
        } else if (policy === 'single')
          toEnd = await store.oldestAlive(user.id, now, since, undefined, tx);
        else {
          const over = (await store.aliveCount(user.id, now, since, tx)) - s.maxSessions + 1;
          if (over > 0) toEnd = await store.oldestAlive(user.id, now, since, over, tx);
        }
        const reason: EndReason = policy === 'single' ? 'LOGGED_IN_ELSEWHERE' : 'SESSION_LIMIT';
        const endMeta = { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
        for (const old of toEnd) await endIn(u, { ...old, ended_at: null }, reason, endMeta);
        await store.insert(row, tx);
      }, outer);
      d.lastSeen?.noteWritten(row.id, now);
      return row;
    },

    get: (sid: string, q?: Transaction<Database>) => store.get(sid, q),

    /** A refresh wrote the session's last-seen. */
    noteActivity(sid: string, at: number): void {
      d.lastSeen?.noteWritten(sid, at);
    },

    /** Is this session usable now? (Used by refresh, not by the hot path.) */
    usable(row: SessionRow | undefined, now = clock.now()): row is SessionRow {
      return (
        !!row && row.ended_at === null && row.expires_at > now && row.last_seen_at > idleSince(now)
      );
    },

    /**
     * Ends one session (in `outer`'s transaction when given). Returns true
     * when this call ended it; false when it was unknown or already ended
     * (its revocation is then made sure of all the same).
     */
    end(sid: string, reason: EndReason, meta?: EndMeta, outer?: Unit): Promise<boolean> {
      return unit(async (u) => {
        const row = await store.get(sid, u.tx);
        return row ? endIn(u, row, reason, meta) : false;
      }, outer);
    },

    /** Ends every live session of a user, except `keep` (e.g. the caller's own). */
    endAll(
      userId: number,
      reason: EndReason,
      opts: EndMeta & { keep?: string } = {},
      outer?: Unit,
    ): Promise<number> {
      return unit(async (u) => {
        const rows = await u.tx
          .selectFrom('sessions')
          .select(['id', 'user_id', 'ended_at'])
          .where('user_id', '=', userId)
          .where('ended_at', 'is', null)
          .execute();
        let n = 0;
        for (const r of rows) if (r.id !== opts.keep && (await endIn(u, r, reason, opts))) n++;
        return n;
      }, outer);
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
      let n = 0;
      // One transaction per session: a sweep never holds a long write lock.
      for (const r of rows)
        if (await unit((u) => endIn(u, { ...r, ended_at: null }, 'EXPIRED'))) n++;
      return n;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
