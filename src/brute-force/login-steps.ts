import type { Audit } from '../audit/audit.js';
import type { LoginGuard } from '../login/guard.js';
import { isTesseraError } from '../lib/errors.js';
import type { LoginStep } from '../login/pipeline.js';

/**
 * The brute-force ladder's place in the login pipeline (seed 004):
 *  - guard stage: the per-IP budget, locks and the captcha challenge, before
 *    any credential is looked at; a refusal is audited against the account;
 *  - every refused credential counts a failure (onRefused);
 *  - account stage: a good credential on an active account clears the counts.
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
    },
    {
      name: 'brute-force-clear',
      stage: 'account',
      async run(flow) {
        await d.guard.succeeded({ ...flow.attempt, userId: flow.user!.id });
      },
    },
  ];
}
