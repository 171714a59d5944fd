import type { Audit } from '../../audit/audit.js';
import { fail } from '../../lib/errors.js';
import type { UserService } from '../../users/service.js';
import type { LoginStep } from '../pipeline.js';

/**
 * Step 3, account state: a disabled account is refused (after the
 * credential, so the answer tells nothing to someone without it). An
 * imported bcrypt hash becomes argon2id now that the password is known.
 */
export function accountStateStep(d: {
  users: UserService;
  audit: Audit;
  report: (e: unknown, what: string) => void;
}): LoginStep {
  return {
    name: 'account-state',
    stage: 'account',
    async run(flow) {
      const user = flow.user!;
      if (user.status !== 'active') {
        d.audit.record({
          ...flow.facts,
          event: 'login.failure',
          outcome: 'failure',
          userId: user.id,
          reason: 'disabled',
        });
        fail('ACCOUNT_DISABLED');
      }
      if (flow.password !== undefined)
        void d.users
          .rehashIfNeeded(user, flow.password)
          .catch((e: unknown) => d.report(e, 'password rehash'));
    },
  };
}
