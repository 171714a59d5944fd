import { alertsFeature } from '../alerts/feature.js';
import { auditFeature } from '../audit-api/feature.js';
import { bruteForceFeature } from '../brute-force/feature.js';
import { customerServiceFeature } from '../compat/feature.js';
import { loadConfig, type Env } from '../config/load.js';
import { FIELDS, type Config, type Field } from '../config/schema.js';
import type { Feature } from '../feature/contract.js';
import { loginKeysFeature } from '../login-keys/feature.js';
import { presenceFeature } from '../presence/feature.js';
import { requestBudgetFeature } from '../request-budgets/feature.js';
import { tenantsFeature } from '../tenants/feature.js';

/**
 * Every feature of the product. A new feature lives in its own folder and
 * joins here with one line; `needs` orders the start, not this list.
 */
export const FEATURES: readonly Feature[] = [
  requestBudgetFeature,
  loginKeysFeature,
  alertsFeature,
  bruteForceFeature,
  auditFeature,
  presenceFeature,
  customerServiceFeature,
  tenantsFeature,
];

/** The one config table: the core's fields and every feature's. */
export function allFields(features: readonly Feature[] = FEATURES): Record<string, Field> {
  const out: Record<string, Field> = { ...FIELDS };
  for (const f of features) Object.assign(out, f.config);
  return out;
}

/** Reads the configuration of the core and of every feature (src/config/load.ts). */
export function loadAppConfig(env?: Env, overrides: Partial<Config> = {}): Config {
  return loadConfig(env, overrides, allFields());
}
