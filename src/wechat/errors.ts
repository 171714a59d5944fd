import type { ErrorDef } from '../contract/errors.js';

/** The WeChat login's error codes: what WeChat answered, in Tessera's terms (decision 0019). */
export const WECHAT_ERRORS = {
  WECHAT_NOT_CONFIGURED: {
    status: 404,
    en: 'WeChat login is not set up for this mini-program here',
    zh: '此处未配置该小程序的微信登录',
    help: {
      causes:
        'No WeChat mini-program with that `app_id` is set up for the tenant (`TESSERA_WECHAT_APP_ID`/`TESSERA_WECHAT_APP_SECRET` for the default tenant, `/api/admin/wechat/apps` for others).',
      fix: 'Configure the mini-program, or send the `app_id` that is configured.',
    },
  },
  WECHAT_CODE_INVALID: {
    status: 401,
    en: 'The WeChat code is invalid or expired: call wx.login() again',
    zh: '微信登录凭证无效或已过期，请重新调用 wx.login()',
    help: {
      causes:
        'WeChat refused the `wx.login()` code: invalid, expired (5 minutes), or issued to another mini-program than the configured `app_id`.',
      fix: "Call `wx.login()` again and send the new code at once; check that the app id and secret are the mini-program's.",
    },
  },
  WECHAT_CODE_USED: {
    status: 401,
    en: 'The WeChat code was used already: call wx.login() again',
    zh: '微信登录凭证已被使用，请重新调用 wx.login()',
    help: {
      causes: 'The `wx.login()` code was already exchanged: a code serves once.',
      fix: 'Call `wx.login()` again for every login; do not retry with the same code.',
    },
  },
  WECHAT_RATE_LIMITED: {
    status: 429,
    en: 'WeChat is limiting requests: try again in a minute',
    zh: '微信接口调用过于频繁，请一分钟后再试',
    help: {
      causes:
        'WeChat refuses the calls of this mini-program for a while (its 45011 quota); `Retry-After: 60`.',
      fix: 'Retry in a minute; check the quota in the WeChat console.',
    },
  },
  WECHAT_UNAVAILABLE: {
    status: 502,
    en: 'WeChat did not answer properly: try again shortly',
    zh: '微信服务暂时不可用，请稍后再试',
    help: {
      causes:
        'WeChat answered with a system error or something unusable, or the app secret is wrong (WeChat then refuses the access token).',
      fix: "Retry shortly; if it persists, check `TESSERA_WECHAT_APP_SECRET` (or the app's secret) and the log.",
    },
  },
  WECHAT_TIMEOUT: {
    status: 504,
    en: 'WeChat did not answer in time: try again shortly',
    zh: '微信服务响应超时，请稍后再试',
    help: {
      causes: 'WeChat did not answer within `TESSERA_WECHAT_TIMEOUT_MS`.',
      fix: 'Retry; check outbound connectivity to `TESSERA_WECHAT_API_BASE` from the nodes.',
    },
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    WECHAT_NOT_CONFIGURED: true;
    WECHAT_CODE_INVALID: true;
    WECHAT_CODE_USED: true;
    WECHAT_RATE_LIMITED: true;
    WECHAT_UNAVAILABLE: true;
    WECHAT_TIMEOUT: true;
  }
}
