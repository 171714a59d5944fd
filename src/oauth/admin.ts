import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import { inUnit, type Unit } from '../db/unit.js';
import type { Core } from '../feature/contract.js';
import { fail } from '../lib/errors.js';
import type { AccessClaims } from '../tokens/claims.js';
import {
  DefinitionError,
  parseDefinition,
  publicDefinition,
  type ProviderDef,
} from './definition.js';
import type { OAuthService } from './service.js';

/**
 * A tenant's identity providers as its administrators manage them: checked
 * like the configured ones, the client secret sealed at rest (store.ts) and
 * never answered, each change audited in its transaction. The default
 * tenant's configured providers (TESSERA_OAUTH_PROVIDERS) are read-only here.
 */
export function createOAuthAdmin(core: Core, oauth: OAuthService, configured: ReadonlySet<string>) {
  const out = (tenant: TenantId, d: ProviderDef, source: 'config' | 'admin') => ({
    ...publicDefinition(d),
    callback_url: oauth.callbackUrl(tenant, d.name),
    source,
  });
  const isConfigured = (tenant: TenantId, name: string) =>
    tenant === DEFAULT_TENANT && configured.has(name);
  const parse = (raw: Record<string, unknown>): ProviderDef => {
    try {
      return parseDefinition(raw, core.config.production);
    } catch (e) {
      if (e instanceof DefinitionError) fail('VALIDATION_FAILED', { detail: e.message });
      throw e;
    }
  };

  async function change(
    tenant: TenantId,
    by: AccessClaims,
    event: string,
    name: string,
    fn: (u: Unit) => Promise<boolean>,
  ): Promise<void> {
    const tc = await core.tenantCore(tenant);
    const done = await inUnit(oauth.storeOf(tenant).db, async (u) => {
      if (!(await fn(u))) return false;
      await tc.audit.write(u, {
        event,
        outcome: 'success',
        actorId: Number(by.sub),
        data: { provider: name },
      });
      return true;
    });
    if (!done) fail(event.endsWith('create') ? 'OAUTH_PROVIDER_EXISTS' : 'OAUTH_PROVIDER_UNKNOWN');
  }

  return {
    async list(tenant: TenantId) {
      return (await oauth.providers(tenant)).map((d) =>
        out(tenant, d, isConfigured(tenant, d.name) ? 'config' : 'admin'),
      );
    },
    async get(tenant: TenantId, name: string) {
      const d = await oauth.provider(tenant, name);
      return out(tenant, d, isConfigured(tenant, name) ? 'config' : 'admin');
    },
    async create(tenant: TenantId, raw: Record<string, unknown>, by: AccessClaims) {
      const def = parse(raw);
      if (isConfigured(tenant, def.name)) fail('OAUTH_PROVIDER_EXISTS');
      const store = oauth.storeOf(tenant);
      await change(tenant, by, 'admin.identity_provider.create', def.name, (u) =>
        store.insertProvider(def, core.clock.now(), u.tx),
      );
      return out(tenant, def, 'admin');
    },
    async update(tenant: TenantId, name: string, raw: Record<string, unknown>, by: AccessClaims) {
      if (isConfigured(tenant, name))
        fail('VALIDATION_FAILED', {
          detail: 'this provider is configured by TESSERA_OAUTH_PROVIDERS',
        });
      const store = oauth.storeOf(tenant);
      const had = await store.provider(name);
      if (!had) fail('OAUTH_PROVIDER_UNKNOWN');
      // Omitting the secret keeps it; parsed with the stored one so that its rules apply.
      const def = parse({ ...raw, name, client_secret: raw.client_secret ?? had.client_secret });
      await change(tenant, by, 'admin.identity_provider.update', name, (u) =>
        store.updateProvider(def, core.clock.now(), u.tx),
      );
      return out(tenant, def, 'admin');
    },
    async remove(tenant: TenantId, name: string, by: AccessClaims) {
      if (isConfigured(tenant, name))
        fail('VALIDATION_FAILED', {
          detail: 'this provider is configured by TESSERA_OAUTH_PROVIDERS',
        });
      const store = oauth.storeOf(tenant);
      await change(tenant, by, 'admin.identity_provider.delete', name, (u) =>
        store.deleteProvider(name, u.tx),
      );
    },
  };
}

export type OAuthAdmin = ReturnType<typeof createOAuthAdmin>;
