import type { Kysely } from 'kysely';
import type { Audit } from '../audit/audit.js';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import type { Clock } from '../lib/clock.js';
import { fail } from '../lib/errors.js';
import type { RevocationList } from './revocation.js';
import type { EndMeta, SessionService } from './service.js';

export interface SessionActionDeps {
  db: Kysely<Database>;
  sessions: SessionService;
  revocations: RevocationList;
  audit: Audit;
  clock: Clock;
  clockSkewSec: number;
  /** How long an access token issued now can be accepted (TTL + skew), ms. */
  tokenLifeMs: () => number;
  onEffectError?: (e: unknown) => void;
}

/**
 * Ending sessions and refusing tokens when someone asks: the caller's
 * logout-everywhere, an administrator's force logout of one session and the
 * jti denylist of seed 003. Each writes its change, the revocation and the
 * audit row in one transaction; publishing follows the commit.
 */
export function createSessionActions(d: SessionActionDeps) {
  const unit = <T>(fn: (u: Unit) => Promise<T>) => inUnit(d.db, fn, undefined, d.onEffectError);
  return {
    /** Ends every session of the caller, the current one included; returns how many ended. */
    logoutAll(userId: number, sid: string, actor: EndMeta): Promise<number> {
      return unit(async (u) => {
        const n = await d.sessions.endAll(userId, 'LOGGED_OUT', actor, u);
        await d.audit.write(u, {
          event: 'logout.all',
          outcome: 'success',
          userId,
          sessionId: sid,
          ...actor,
        });
        return n;
      });
    },

    /** An administrator ends one live session (NOT_FOUND when it is not live). */
    async forceLogout(sessionId: string, actor: EndMeta): Promise<void> {
      const s = await d.sessions.get(sessionId);
      if (!s || s.ended_at !== null) fail('NOT_FOUND');
      await unit(async (u) => {
        await d.sessions.end(s.id, 'FORCE_LOGOUT', actor, u);
        await d.audit.write(u, {
          event: 'admin.session.force_logout',
          outcome: 'success',
          ...actor,
          data: { session_id: s.id, user_id: s.user_id },
        });
      });
    },

    /**
     * Refuses one access token by its jti until it would have expired anyway:
     * its `exp` (seconds) plus the skew when given, else the longest an access
     * token lives; never longer than that.
     */
    async deny(jti: string, exp: number | undefined, actor: EndMeta): Promise<void> {
      const horizon = d.clock.now() + d.tokenLifeMs();
      const expiresAt = exp ? Math.min(exp * 1000 + d.clockSkewSec * 1000, horizon) : horizon;
      await unit(async (u) => {
        await d.revocations.revoke({ kind: 'jti', value: jti, expiresAt }, u);
        await d.audit.write(u, {
          event: 'admin.token.deny',
          outcome: 'success',
          ...actor,
          data: { jti },
        });
      });
    },
  };
}

export type SessionActions = ReturnType<typeof createSessionActions>;
