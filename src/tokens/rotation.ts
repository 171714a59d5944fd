import type { Kysely } from 'kysely';
import type { Audit } from '../audit/audit.js';
import type { RequestMeta } from '../contract/meta.js';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import { fail } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { lastSeenIntervalSec } from '../sessions/last-seen.js';
import type { SessionService } from '../sessions/service.js';
import type { SettingsService } from '../settings/service.js';
import type { UserService } from '../users/service.js';
import type { PairIssuer, TokenPair } from './pair.js';
import type { RefreshStore } from './refresh-store.js';
import {
  hashRefreshToken,
  isRefreshTokenShape,
  newRefreshToken,
  openSuccessor,
  sealSuccessor,
} from './refresh-token.js';

export interface RotationDeps {
  db: Kysely<Database>;
  users: UserService;
  sessions: SessionService;
  refresh: RefreshStore;
  settings: SettingsService;
  audit: Audit;
  clock: Clock;
  issuePair: PairIssuer;
  refreshGraceSec: number;
  onEffectError?: (e: unknown) => void;
}

/**
 * Refresh-token rotation and reuse detection (RFC 9700 §4.14; seed 003's
 * 7-day refresh tokens). A token is single use: one conditional UPDATE marks
 * it used, so of concurrent refreshes exactly one wins; a reused token ends
 * its whole session, unless it is a retry within the grace window, which
 * gets the same successor back.
 */
export function createRefreshRotation(d: RotationDeps) {
  const { clock } = d;
  const unit = <T>(fn: (u: Unit) => Promise<T>) => inUnit(d.db, fn, undefined, d.onEffectError);
  const issuePair = d.issuePair;

  /**
   * Rotates a refresh token (RFC 9700 §4.14): single use; a reused token
   * ends its whole session, unless it is a retry within the grace window,
   * which gets the same successor back.
   */
  async function rotate(token: string, meta: RequestMeta): Promise<TokenPair> {
    if (!isRefreshTokenShape(token)) fail('TOKEN_INVALID');
    const hash = hashRefreshToken(token);
    const now = clock.now();
    const graceMs = d.refreshGraceSec * 1000;
    const s = d.settings.get();
    const audit = { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
    const rotated = await unit(async (u) => {
      const tx = u.tx;
      const row = await d.refresh.get(hash, tx);
      if (!row) fail('TOKEN_INVALID');
      if (row.used_at !== null) return { used: row };
      if (row.expires_at <= now) {
        // A refresh token expires with its session at the latest: past the
        // session's own end (absolute, idle, or ended), say so and end it.
        if (!d.sessions.usable(await d.sessions.get(row.session_id, tx), now))
          return { unusable: row };
        fail('TOKEN_EXPIRED');
      }
      const session = await d.sessions.get(row.session_id, tx);
      if (!d.sessions.usable(session, now)) return { unusable: row };
      const successor = newRefreshToken();
      if (
        !(await d.refresh.markUsed(
          hash,
          now,
          graceMs > 0 ? sealSuccessor(token, successor) : null,
          tx,
        ))
      ) {
        return { used: { ...row, used_at: now, successor: null } };
      }
      const exp = Math.min(now + s.refreshTokenTtl * 1000, session.expires_at);
      await d.refresh.insert(
        {
          token_hash: hashRefreshToken(successor),
          session_id: session.id,
          user_id: row.user_id,
          issued_at: now,
          expires_at: exp,
          used_at: null,
          successor: null,
        },
        tx,
      );
      // A refresh is activity; written only when last-seen is older than its interval.
      if (now - session.last_seen_at >= lastSeenIntervalSec(s) * 1000) {
        await tx
          .updateTable('sessions')
          .set({ last_seen_at: now })
          .where('id', '=', session.id)
          .execute();
        d.sessions.noteActivity(session.id, now);
      }
      await d.audit.write(u, {
        ...audit,
        event: 'refresh',
        outcome: 'success',
        userId: row.user_id,
        sessionId: session.id,
      });
      return { fresh: { successor, exp, session } };
    });
    if ('unusable' in rotated) {
      const row = rotated.unusable!;
      await unit(async (u) => {
        await d.sessions.end(row.session_id, 'EXPIRED', audit, u);
        await d.audit.write(u, {
          ...audit,
          event: 'refresh',
          outcome: 'failure',
          userId: row.user_id,
          sessionId: row.session_id,
          reason: 'SESSION_ENDED',
        });
      });
      fail('SESSION_ENDED');
    }
    if ('used' in rotated) {
      const row = rotated.used!;
      const latest = await d.refresh.get(hash);
      if (
        graceMs > 0 &&
        latest?.successor &&
        latest.used_at !== null &&
        now - latest.used_at <= graceMs
      ) {
        const successor = openSuccessor(token, latest.successor);
        const session = await d.sessions.get(row.session_id);
        const next = successor ? await d.refresh.get(hashRefreshToken(successor)) : undefined;
        if (successor && next && d.sessions.usable(session, now)) {
          const user = await d.users.byId(row.user_id);
          if (user && user.status === 'active') {
            d.audit.record({
              ...audit,
              event: 'refresh',
              outcome: 'success',
              userId: user.id,
              sessionId: row.session_id,
              reason: 'grace_retry',
            });
            return (
              await issuePair(
                user,
                await d.users.roles(user.id),
                session,
                successor,
                next.expires_at,
              )
            ).tokens;
          }
        }
      }
      await unit(async (u) => {
        await d.sessions.end(row.session_id, 'REFRESH_REUSE', audit, u);
        await d.audit.write(u, {
          ...audit,
          event: 'refresh.reuse',
          outcome: 'failure',
          userId: row.user_id,
          sessionId: row.session_id,
          reason: 'TOKEN_REVOKED',
        });
      });
      fail('TOKEN_REVOKED');
    }
    const { successor, exp, session } = rotated.fresh!;
    const user = await d.users.byId(session.user_id);
    if (!user || user.status !== 'active') {
      await d.sessions.end(session.id, 'USER_DISABLED', audit);
      fail('SESSION_ENDED');
    }
    return (await issuePair(user, await d.users.roles(user.id), session, successor, exp)).tokens;
  }

  return { rotate };
}

export type RefreshRotation = ReturnType<typeof createRefreshRotation>;
