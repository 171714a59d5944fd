import { createAuthService, type AuthService } from '../auth/service.js';
import type { Core, FeatureServices, TenantCore } from '../feature/contract.js';
import { createLoginFlow } from '../login/flow.js';
import type { LoginOutcome } from '../login/metrics.js';
import type { LoginStep } from '../login/pipeline.js';
import { accountStateStep } from '../login/steps/account-state.js';
import { identityStep } from '../login/steps/identity.js';
import { passwordStep } from '../login/steps/password.js';
import { sessionStep } from '../login/steps/session.js';
import { tokensStep } from '../login/steps/tokens.js';
import { createPairIssuer } from '../tokens/pair.js';

/**
 * The login pipeline: the core's steps (password or identity credential, account state,
 * session policy, tokens; src/login/steps/) and every feature's, ordered by
 * stage (src/login/pipeline.ts), then the auth service that runs it.
 */
export function assembleAuth(
  core: Core,
  features: Partial<FeatureServices>,
  featureSteps: readonly LoginStep[],
  /** The tenant's services (default: the core's, the default tenant). */
  tc: TenantCore = core,
  /** The runtime's logins counter (one for every tenant's pipeline). */
  outcome?: LoginOutcome,
): AuthService {
  const { config, clock, report } = core;
  const { users, audit } = tc;
  const k = core.sql.scope(tc.tenant);
  const steps: LoginStep[] = [
    passwordStep({
      hasher: core.hasher,
      decryptor: features.passwordDecryptor,
      plainLogin: config.plainLogin,
    }),
    identityStep({ identities: tc.identities }),
    accountStateStep({ users, audit, report }),
    sessionStep({
      db: k,
      sessions: tc.sessions,
      refresh: tc.refresh,
      settings: tc.settings,
      audit,
      clock,
      onEffectError: (e) => report(e, 'login'),
    }),
    tokensStep({ users, issuePair: createPairIssuer(tc.issuer, clock) }),
    ...featureSteps,
  ];
  return createAuthService({
    loginFlow: createLoginFlow({
      steps,
      users,
      identities: tc.identities,
      audit,
      tenant: tc.tenant,
      ...(outcome ? { outcome } : {}),
    }),
    db: k,
    users,
    sessions: tc.sessions,
    refresh: tc.refresh,
    issuer: tc.issuer,
    settings: tc.settings,
    audit,
    clock,
    captcha: features.captcha,
    refreshGraceSec: config.refreshReuseGrace,
    onEffectError: (e) => report(e, 'login'),
  });
}
