import type { FastifyInstance } from 'fastify';
import { need, type Feature } from '../feature/contract.js';
import { createBackground } from './background.js';
import { CREDENTIAL_FIELDS } from './config.js';
import { CREDENTIAL_ERRORS } from './errors.js';
import { emailVerifiedStep } from './login-step.js';
import * as migration from './migration.js';
import { watchAccountChanges } from './observer.js';
import { accountCredentialRoutes, publicCredentialRoutes } from './routes.js';
import { createCredentials, type Credentials } from './service.js';
import { createTokenStore } from './store.js';

declare module '../feature/contract.js' {
  interface FeatureServices {
    credentials: Credentials;
  }
}

/** Pending background tasks (reset and verification mails) before new ones are dropped. */
const MAX_PENDING = 256;

/**
 * Password reset, e-mail verification and the self-service password change
 * (issue 13; docs/decisions/0018-password-reset-and-verification.md). The
 * password rules themselves (zxcvbn, breached passwords) are the core's
 * (src/passwords/), since every way of setting a password applies them.
 */
export const credentialsFeature: Feature = {
  name: 'credentials',
  needs: ['mail', 'brute-force'],
  config: CREDENTIAL_FIELDS,
  settings: ['emailVerification'],
  errors: CREDENTIAL_ERRORS,
  migrations: { '0009_credentials': migration },
  start({ core, services }) {
    const background = createBackground(MAX_PENDING, core.report);
    const policy = need(services, 'bruteForce').policy;
    const credentials = createCredentials({
      config: core.config,
      clock: core.clock,
      sql: core.sql,
      limiters: core.limiters,
      hasher: core.hasher,
      mail: need(services, 'mail'),
      background,
      unlock: (keys, tenant) => policy.unlock(keys, tenant),
      report: core.report,
    });
    const tenantCore = core.tenantCore.bind(core);
    const unwatch = watchAccountChanges({
      audit: core.audit,
      tenantCore,
      credentials,
      background,
    });
    const expired = createTokenStore(core.sql.all('expired credential tokens of every tenant'));
    return {
      provides: { credentials },
      loginSteps: [emailVerifiedStep({ tenantCore, credentials, background })],
      routes: () => [
        {
          api: async (app: FastifyInstance) => {
            await app.register(publicCredentialRoutes(credentials), { prefix: '/public/auth' });
            await app.register(accountCredentialRoutes(credentials), { prefix: '/auth' });
          },
        },
      ],
      jobs: [
        {
          name: 'credential token prune',
          everyMs: 3_600_000,
          // A day past expiry: a late click still answers TOKEN_EXPIRED rather than TOKEN_INVALID.
          run: () => expired.prune(core.clock.now() - 86_400_000),
        },
      ],
      async stop() {
        unwatch();
        await background.idle();
      },
    };
  },
};
