import type { Audit } from '../audit/audit.js';
import type { LoginGuard } from '../login/guard.js';
import { isTesseraError } from '../lib/errors.js';
import type { LoginStep } from '../login/pipeline.js';

/**
 * The brute-force ladder's place in the login pipeline (seed 004):
 *  - guard stage: the per-IP budget, locks and the captcha challenge, before
 *    any credential is looked at; a refusal is audited against the account;
 *  - every refused credential counts a failure (onRefused);
 *  - once every proof was accepted (password, account state, second factor:
 *    onAccepted, before the session stage) the counts are cleared. Not after
 *    the password alone: wrong second-factor codes count as failures, and a
 *    clear after each good password would let them go on for ever.
 */
export function bruteForceSteps(d: { guard: LoginGuard; audit: Audit }): LoginStep[] {
  return [
    {
      name: 'brute-force-guard',
      stage: 'guard',
      async run(flow) {
        try {
          await d.guard.before(flow.attempt);
        } catch (e) {
          if (isTesseraError(e))
            d.audit.record({
              ...flow.facts,
              tenant: flow.attempt.tenant,
              event: 'login.failure',
              outcome: 'failure',
              userId: flow.user?.id ?? null,
              reason: e.code,
            });
          throw e;
        }
      },
      async onRefused(flow) {
        await d.guard.failed({ ...flow.attempt, userId: flow.user?.id });
      },
      async onAccepted(flow) {
        await d.guard.succeeded({ ...flow.attempt, userId: flow.user!.id });
      },
    },
  ];
}
