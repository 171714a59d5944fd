import type { ErrorDef } from '../contract/errors.js';

/** The WeChat login's error codes: what WeChat answered, in Tessera's terms (decision 0019). */
export const WECHAT_ERRORS = {
  WECHAT_NOT_CONFIGURED: {
    status: 404,
    en: 'WeChat login is not set up for this mini-program here',
    zh: '此处未配置该小程序的微信登录',
  },
  WECHAT_CODE_INVALID: {
    status: 401,
    en: 'The WeChat code is invalid or expired: call wx.login() again',
    zh: '微信登录凭证无效或已过期，请重新调用 wx.login()',
  },
  WECHAT_CODE_USED: {
    status: 401,
    en: 'The WeChat code was used already: call wx.login() again',
    zh: '微信登录凭证已被使用，请重新调用 wx.login()',
  },
  WECHAT_RATE_LIMITED: {
    status: 429,
    en: 'WeChat is limiting requests: try again in a minute',
    zh: '微信接口调用过于频繁，请一分钟后再试',
  },
  WECHAT_UNAVAILABLE: {
    status: 502,
    en: 'WeChat did not answer properly: try again shortly',
    zh: '微信服务暂时不可用，请稍后再试',
  },
  WECHAT_TIMEOUT: {
    status: 504,
    en: 'WeChat did not answer in time: try again shortly',
    zh: '微信服务响应超时，请稍后再试',
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
