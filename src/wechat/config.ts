import { int, type ConfigOf, type Field } from '../config/schema.js';

/** A WeChat AppID: `wx` and 16 hex digits in practice; letters, digits and `_` accepted. */
const APP_ID = /^\w{1,64}$/;

/** The WeChat mini-program login's config fields (decision 0019). */
export const WECHAT_FIELDS = {
  wechatAppId: {
    env: 'TESSERA_WECHAT_APP_ID',
    kind: {
      t: 'string',
      max: 64,
      check: (v: string) => (APP_ID.test(v) ? undefined : 'letters, digits and _ only'),
    },
    default: undefined,
    example: 'wx1234567890abcdef',
    doc: 'AppID of the WeChat mini-program of the default tenant. With TESSERA_WECHAT_APP_SECRET it turns WeChat login on there; other tenants register their own mini-programs through `PUT /api/admin/wechat/apps/:app_id`. Unset = no WeChat app from the environment.',
  },
  wechatAppSecret: {
    env: 'TESSERA_WECHAT_APP_SECRET',
    kind: { t: 'string', max: 128 },
    default: undefined,
    secret: true,
    example: '0123456789abcdef0123456789abcdef',
    doc: 'AppSecret of TESSERA_WECHAT_APP_ID, required with it. Kept in memory only (the secrets tenants register are sealed in the database).',
  },
  wechatApiBase: {
    env: 'TESSERA_WECHAT_API_BASE',
    kind: { t: 'url', protocols: ['http:', 'https:'] },
    default: 'https://api.weixin.qq.com',
    example: 'https://api.weixin.qq.com',
    doc: 'Base URL of the WeChat server API (jscode2session, stable_token, getuserphonenumber); tests point it at a local fake.',
  },
  wechatTimeoutMs: {
    env: 'TESSERA_WECHAT_TIMEOUT_MS',
    kind: int(100, 30_000),
    default: 5000,
    example: '5000',
    doc: 'How long one call to the WeChat API may take; then the request answers 504 WECHAT_TIMEOUT.',
  },
  wechatCreateUsers: {
    env: 'TESSERA_WECHAT_CREATE_USERS',
    kind: { t: 'bool' },
    default: true,
    example: 'false',
    doc: 'A WeChat login of someone no user is bound to creates a user (generated username, no password). `false`: only users who bound WeChat to their account log in with it.',
  },
  wechatExchangesPerIpPerMinute: {
    env: 'TESSERA_WECHAT_EXCHANGES_PER_IP_PER_MINUTE',
    kind: int(1, 100_000),
    default: 30,
    example: '30',
    doc: 'Calls to WeChat (login and phone codes) one IP may cause per minute (then 429 RATE_LIMITED), before the login’s own per-IP budget: bad codes cannot spend the app’s WeChat quota.',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof WECHAT_FIELDS> {}
}
