import { ConfigError } from '../config/load.js';
import type { TenantId } from '../db/scope.js';
import type { Feature } from '../feature/contract.js';
import { createAccessTokens } from './access-token.js';
import { createWechatApps } from './apps.js';
import { createWechatClient } from './client.js';
import { WECHAT_FIELDS } from './config.js';
import { WECHAT_ERRORS } from './errors.js';
import { WECHAT_MANAGE_PERMISSION, wechatRoutes } from './routes.js';
import { createWechatService } from './service.js';
import { createWechatStore, type WechatStore } from './store.js';
import { migration0011 } from './tables.js';

/**
 * Issue 14 items 1–3: WeChat mini-program login (jscode2session) as an
 * external identity of the login pipeline, binding and unbinding, the phone
 * number with a cached access token refreshed by one node at a time, and
 * each tenant's own mini-programs. Decision 0019.
 */
export const wechatFeature: Feature = {
  name: 'wechat',
  config: WECHAT_FIELDS,
  errors: WECHAT_ERRORS,
  permissions: [WECHAT_MANAGE_PERMISSION],
  migrations: { '0011_wechat': migration0011 },
  start({ core }) {
    const c = core.config;
    if ((c.wechatAppId === undefined) !== (c.wechatAppSecret === undefined))
      throw new ConfigError(
        'TESSERA_WECHAT_APP_ID and TESSERA_WECHAT_APP_SECRET go together: set both or neither (example: TESSERA_WECHAT_APP_ID=wx1234567890abcdef)',
      );
    const env =
      c.wechatAppId !== undefined && c.wechatAppSecret !== undefined
        ? { appId: c.wechatAppId, secret: c.wechatAppSecret }
        : undefined;
    const stores = new Map<TenantId, WechatStore>();
    const storeOf = (t: TenantId) => {
      let s = stores.get(t);
      if (!s) {
        if (stores.size > 1000) stores.clear();
        stores.set(t, (s = createWechatStore(core.sql.scope(t), core.sealer)));
      }
      return s;
    };
    const client = createWechatClient({ baseUrl: c.wechatApiBase, timeoutMs: c.wechatTimeoutMs });
    const apps = createWechatApps({ env, storeOf, clock: core.clock });
    const tokens = createAccessTokens({
      client,
      storeOf,
      clock: core.clock,
      timeoutMs: c.wechatTimeoutMs,
    });
    const wechat = createWechatService({ core, client, apps, tokens });
    return { routes: () => [{ api: wechatRoutes({ wechat, apps }) }] };
  },
};
