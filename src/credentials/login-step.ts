import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import { fail } from '../lib/errors.js';
import type { LoginStep } from '../login/pipeline.js';
import type { TenantCore } from '../feature/contract.js';
import type { Background } from './background.js';
import type { Credentials } from './service.js';

/**
 * `TESSERA_EMAIL_VERIFICATION=required`: an account whose e-mail is not
 * verified is refused with EMAIL_NOT_VERIFIED. At the account stage, after
 * the credential: only someone who knows the password learns anything, so
 * the answer never reveals an account. The refusal also sends a fresh
 * verification mail (within the account's hourly budget): the user cannot
 * log in to ask for one. An account without an e-mail has nothing to verify.
 */
export function emailVerifiedStep(d: {
  tenantCore: (t: TenantId) => Promise<TenantCore>;
  credentials: Credentials;
  background: Background;
}): LoginStep {
  return {
    name: 'email-verified',
    stage: 'account',
    async run(flow) {
      const user = flow.user!;
      if (user.email === null || user.email_verified_at !== null) return;
      const tc = await d.tenantCore(flow.attempt.tenant ?? DEFAULT_TENANT);
      const creds = d.credentials.forTenant(tc);
      if (creds.mode() !== 'required') return;
      tc.audit.record({
        ...flow.facts,
        event: 'login.failure',
        outcome: 'failure',
        userId: user.id,
        reason: 'EMAIL_NOT_VERIFIED',
      });
      d.background.run('verification mail', () =>
        creds.sendVerification(user, { ...flow.meta, locale: null }),
      );
      fail('EMAIL_NOT_VERIFIED');
    },
  };
}
