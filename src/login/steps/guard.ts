import type { Audit } from '../../audit/audit.js';
import type { LoginGuard } from '../../auth/guard.js';
import { isTesseraError } from '../../lib/errors.js';
import type { UserService } from '../../users/service.js';
import type { LoginStep } from '../pipeline.js';

/**
 * Step 1, brute-force guard (seed 004): the per-IP budget, locks and the
 * captcha challenge, before any credential is looked at. The account is
 * looked up first so a refused attempt is audited against the user; the
 * answer does not depend on whether it exists.
 */
export function guardStep(d: {
  guard: () => LoginGuard;
  users: UserService;
  audit: Audit;
}): LoginStep {
  return {
    name: 'guard',
    async run(flow) {
      flow.user = await d.users.byLoginName(flow.input.username);
      try {
        await d.guard().before(flow.attempt);
      } catch (e) {
        if (isTesseraError(e))
          d.audit.record({
            ...flow.facts,
            event: 'login.failure',
            outcome: 'failure',
            userId: flow.user?.id ?? null,
            reason: e.code,
          });
        throw e;
      }
    },
  };
}
