import { alertsFeature } from '../alerts/feature.js';
import { auditFeature } from '../audit-api/feature.js';
import { bruteForceFeature } from '../brute-force/feature.js';
import { customerServiceFeature } from '../compat/feature.js';
import { credentialsFeature } from '../credentials/feature.js';
import { ConfigError, loadConfig, unknownSettings, type Env } from '../config/load.js';
import { FIELDS, type Config, type Field } from '../config/schema.js';
import type { Feature } from '../feature/contract.js';
import { loginKeysFeature } from '../login-keys/feature.js';
import { mailFeature } from '../mail/feature.js';
import { mfaFeature } from '../mfa/feature.js';
import { oauthFeature } from '../oauth/feature.js';
import { passwordProblem } from '../passwords/policy.js';
import { presenceFeature } from '../presence/feature.js';
import { requestBudgetFeature } from '../request-budgets/feature.js';
import { revocationFeedFeature } from '../revocation-feed/feature.js';
import { tenantsFeature } from '../tenants/feature.js';
import { wechatFeature } from '../wechat/feature.js';

/**
 * Every feature of the product. A new feature lives in its own folder and
 * joins here with one line; `needs` orders the start, not this list.
 */
export const FEATURES: readonly Feature[] = [
  requestBudgetFeature,
  mailFeature,
  loginKeysFeature,
  alertsFeature,
  bruteForceFeature,
  auditFeature,
  presenceFeature,
  customerServiceFeature,
  tenantsFeature,
  mfaFeature,
  credentialsFeature,
  oauthFeature,
  wechatFeature,
  revocationFeedFeature,
];

/** The one config table: the core's fields and every feature's. */
export function allFields(features: readonly Feature[] = FEATURES): Record<string, Field> {
  const out: Record<string, Field> = { ...FIELDS };
  for (const f of features) Object.assign(out, f.config);
  return out;
}

/**
 * Reads the configuration of the core and of every feature (src/config/load.ts), then the
 * checks that need a floor above the config table's: a first-run admin password the password
 * rules would refuse stops the start here, not at the first run.
 */
export function loadAppConfig(env?: Env, overrides: Partial<Config> = {}): Config {
  const cfg = loadConfig(env, overrides, allFields());
  const pw =
    cfg.adminPassword === undefined
      ? null
      : passwordProblem(cfg.adminPassword, 'admin', cfg.passwordMinScore);
  if (pw)
    throw new ConfigError(
      `TESSERA_ADMIN_PASSWORD: ${pw} (example: TESSERA_ADMIN_PASSWORD=a-long-random-passphrase)`,
    );
  return cfg;
}

/** TESSERA_* variables no setting reads, each with the nearest known name (src/main.ts warns). */
export function unknownAppSettings(env: Env = process.env): string[] {
  return unknownSettings(env, allFields());
}
