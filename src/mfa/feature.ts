import type { Feature } from '../feature/contract.js';
import { MFA_FIELDS } from './config.js';
import { MFA_ERRORS } from './errors.js';
import { secondFactorStep } from './login-step.js';
import { MFA_RESET_PERMISSION, mfaRoutes } from './routes.js';
import { createMfaService, type MfaService } from './service.js';
import { migration0008 } from './tables.js';

declare module '../feature/contract.js' {
  interface FeatureServices {
    /** Completes a login that answered MFA_REQUIRED (the customer-service API's own verify route). */
    mfa: Pick<MfaService, 'complete'>;
  }
}

/** Used and expired tickets are kept this long after expiry (for a look in the database), then deleted. */
const TICKET_KEEP_MS = 3_600_000;

/**
 * Issue 13 items 1 and 2: TOTP (RFC 6238) with recovery codes, the login's
 * second-factor stage and its tickets, forced enrolment by role or user type,
 * the admin reset. Alerts on a disabled factor and a used recovery code come
 * from the audit stream (src/alerts/detector.ts). Decision 0017.
 */
export const mfaFeature: Feature = {
  name: 'mfa',
  config: MFA_FIELDS,
  settings: ['mfaRequiredRoles', 'mfaRequiredUserTypes'],
  errors: MFA_ERRORS,
  permissions: [MFA_RESET_PERMISSION],
  migrations: { '0008_mfa': migration0008 },
  start({ core }) {
    const mfa = createMfaService(core);
    const all = core.sql.all('expired second-factor tickets of every tenant are deleted');
    return {
      provides: { mfa: { complete: mfa.complete } },
      loginSteps: [secondFactorStep(core, mfa)],
      routes: () => [{ api: mfaRoutes(mfa) }],
      jobs: [
        {
          name: 'mfa-tickets',
          everyMs: 600_000,
          run: () =>
            all
              .deleteFrom('mfa_tickets')
              .where('expires_at', '<', core.clock.now() - TICKET_KEEP_MS)
              .execute(),
        },
      ],
    };
  },
};
