import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import { fail } from '../lib/errors.js';
import type { WechatApp } from './client.js';
import type { AppRow, WechatStore } from './store.js';

/** A tenant's mini-program, ready to call WeChat with. */
export interface ResolvedApp extends WechatApp {
  /** `env`: the deployment's (TESSERA_WECHAT_APP_ID, default tenant only); `tenant`: registered by its admin. */
  source: 'env' | 'tenant';
}

/** A mini-program as the admin API shows it: never its secret. */
export interface AppView {
  app_id: string;
  source: 'env' | 'tenant';
  created_at: number | null;
  updated_at: number | null;
}

/**
 * Where a tenant's WeChat apps come from (decision 0019):
 *  - the default tenant has the deployment's app, from the environment
 *    (TESSERA_WECHAT_APP_ID / TESSERA_WECHAT_APP_SECRET, in memory only);
 *  - every tenant may register its own mini-programs through the admin API,
 *    their AppSecrets sealed in `wechat_apps` under the master key.
 * A request names its app by `app_id`; without one, the tenant's only app is meant.
 * No tenant ever uses another's app: the environment's app is the default tenant's alone.
 */
export function createWechatApps(d: {
  env: WechatApp | undefined;
  storeOf: (t: TenantId) => WechatStore;
  clock: Clock;
}) {
  const envOf = (t: TenantId) => (t === DEFAULT_TENANT ? d.env : undefined);

  const fromRow = (store: WechatStore, r: AppRow): ResolvedApp | undefined => {
    const secret = store.secretOf(r);
    return secret === null ? undefined : { appId: r.app_id, secret, source: 'tenant' };
  };

  return {
    /** WECHAT_NOT_CONFIGURED when the tenant has no such app (or none at all). */
    async resolve(tenant: TenantId, appId?: string): Promise<ResolvedApp> {
      const env = envOf(tenant);
      if (env && (appId === undefined || appId === env.appId)) return { ...env, source: 'env' };
      const store = d.storeOf(tenant);
      if (appId !== undefined) {
        const r = await store.byAppId(appId);
        const app = r && fromRow(store, r);
        if (!app) fail('WECHAT_NOT_CONFIGURED');
        return app;
      }
      const apps = (await store.list()).filter((r) => r.secret !== null);
      if (apps.length === 0) fail('WECHAT_NOT_CONFIGURED');
      if (apps.length > 1)
        fail('VALIDATION_FAILED', {
          detail: 'app_id is required: several mini-programs are set up here',
        });
      return fromRow(store, apps[0]!)!;
    },

    async list(tenant: TenantId): Promise<AppView[]> {
      const env = envOf(tenant);
      const rows = (await d.storeOf(tenant).list()).filter((r) => r.secret !== null);
      const out: AppView[] = rows
        .filter((r) => r.app_id !== env?.appId)
        .map((r) => ({
          app_id: r.app_id,
          source: 'tenant',
          created_at: r.created_at,
          updated_at: r.updated_at,
        }));
      if (env)
        out.unshift({ app_id: env.appId, source: 'env', created_at: null, updated_at: null });
      return out;
    },

    /** Registers or replaces a tenant's app; the deployment's app is not the API's to change (CONFLICT). */
    async put(tenant: TenantId, appId: string, secret: string): Promise<AppView> {
      if (envOf(tenant)?.appId === appId)
        fail('CONFLICT', { detail: 'this app is configured by the environment' });
      const r = await d.storeOf(tenant).putSecret(appId, randomId(), secret, d.clock.now());
      return {
        app_id: r.app_id,
        source: 'tenant',
        created_at: r.created_at,
        updated_at: r.updated_at,
      };
    },

    async remove(tenant: TenantId, appId: string): Promise<void> {
      if (envOf(tenant)?.appId === appId)
        fail('CONFLICT', { detail: 'this app is configured by the environment' });
      if (!(await d.storeOf(tenant).delete(appId))) fail('NOT_FOUND');
    },
  };
}

export type WechatApps = ReturnType<typeof createWechatApps>;
