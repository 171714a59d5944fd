import type { Feature } from '../feature/contract.js';
import { createOAuthAdmin } from './admin.js';
import { PROVIDERS_PERMISSION, oauthAdminRoutes } from './admin-routes.js';
import { OAUTH_FIELDS } from './config.js';
import { ConfigError } from '../config/load.js';
import { DefinitionError, parseProviderList, type ProviderDef } from './definition.js';
import { OAUTH_ERRORS } from './errors.js';
import { createProtocol } from './protocol.js';
import { oauthRoutes } from './routes.js';
import { createOAuthService } from './service.js';
import { migration0012 } from './tables.js';

/** Used and expired states, codes and link tickets are kept this long, then deleted. */
const KEEP_MS = 3_600_000;

/**
 * Issue 14 items 3 to 5: sign-in with external OpenID Connect and OAuth 2.0
 * providers and WeChat's web QR login, per tenant; account linking; a
 * one-time code, never tokens, on the application's URL. Every login goes
 * through `auth.loginWithIdentity` (the login pipeline). Decision 0020.
 */
export const oauthFeature: Feature = {
  name: 'oauth',
  config: OAUTH_FIELDS,
  errors: OAUTH_ERRORS,
  permissions: [PROVIDERS_PERMISSION],
  migrations: { '0012_oauth': migration0012 },
  start({ core }) {
    const cfg = core.config;
    let envProviders: ProviderDef[] = [];
    try {
      if (cfg.oauthProviders.trim())
        envProviders = parseProviderList(cfg.oauthProviders, cfg.production);
    } catch (e) {
      // The messages name fields, files and URLs, never a secret's value.
      if (e instanceof DefinitionError)
        throw new ConfigError(
          `TESSERA_OAUTH_PROVIDERS: ${e.message} (see docs/identity-providers.md)`,
        );
      throw e;
    }
    const protocol = createProtocol({ timeoutMs: cfg.oauthTimeoutMs });
    const oauth = createOAuthService({ core, protocol, envProviders });
    const admin = createOAuthAdmin(core, oauth, new Set(envProviders.map((p) => p.name)));
    const all = core.sql.all('expired sign-in states and codes of every tenant are deleted');
    return {
      routes: () => [{ api: oauthRoutes(oauth) }, { api: oauthAdminRoutes(admin) }],
      jobs: [
        {
          name: 'oauth-states',
          everyMs: 600_000,
          run: async () => {
            const before = core.clock.now() - KEEP_MS;
            await all.deleteFrom('oauth_states').where('expires_at', '<', before).execute();
            await all.deleteFrom('oauth_codes').where('expires_at', '<', before).execute();
          },
        },
      ],
    };
  },
};
