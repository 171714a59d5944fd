import type { Kysely } from 'kysely';
import type { Audit } from '../../audit/audit.js';
import { inUnit } from '../../db/unit.js';
import type { Database } from '../../db/types.js';
import type { Clock } from '../../lib/clock.js';
import type { SessionService } from '../../sessions/service.js';
import type { SettingsService } from '../../settings/service.js';
import type { RefreshStore } from '../../tokens/refresh-store.js';
import { hashRefreshToken, newRefreshToken } from '../../tokens/refresh-token.js';
import type { LoginStep } from '../pipeline.js';

/**
 * Step 4, session policy: opens the session under the user type's policy
 * (multi / single / reject, and the cap), its first refresh token and the
 * `login.success` audit row, in one transaction with the sessions the
 * policy ends.
 */
export function sessionStep(d: {
  db: Kysely<Database>;
  sessions: SessionService;
  refresh: RefreshStore;
  settings: SettingsService;
  audit: Audit;
  clock: Clock;
  onEffectError?: (e: unknown) => void;
}): LoginStep {
  return {
    name: 'session',
    stage: 'session',
    async run(flow) {
      const user = flow.user!;
      const refreshToken = newRefreshToken();
      await inUnit(
        d.db,
        async (u) => {
          const session = await d.sessions.open(user, flow.meta, u);
          const now = d.clock.now();
          const refreshExp = Math.min(
            now + d.settings.get().refreshTokenTtl * 1000,
            session.expires_at,
          );
          await d.refresh.insert(
            {
              token_hash: hashRefreshToken(refreshToken),
              session_id: session.id,
              user_id: user.id,
              issued_at: now,
              expires_at: refreshExp,
              used_at: null,
              successor: null,
            },
            u.tx,
          );
          await d.audit.write(u, {
            ...flow.facts,
            event: 'login.success',
            outcome: 'success',
            userId: user.id,
            sessionId: session.id,
            data: {
              method: flow.method,
              ...(flow.secondFactor ? { second_factor: flow.secondFactor } : {}),
            },
          });
          Object.assign(flow, { session, refreshToken, refreshExp });
        },
        undefined,
        d.onEffectError,
      );
    },
  };
}
