import type { ErrorDef } from '../contract/errors.js';

/**
 * External providers' error codes (decision 0020). A browser flow that has a
 * trusted return URL (a valid state) answers them as `?error=<CODE>` on the
 * application's URL; without one (a forged, replayed or expired state) and on
 * every JSON route, in the envelope.
 */
export const OAUTH_ERRORS = {
  OAUTH_PROVIDER_UNKNOWN: {
    status: 404,
    en: 'No such identity provider',
    zh: '身份提供方不存在',
  },
  OAUTH_RETURN_URL_INVALID: {
    status: 400,
    en: 'The return URL is not one this identity provider allows',
    zh: '返回地址不在该身份提供方允许的列表中',
  },
  OAUTH_STATE_INVALID: {
    status: 400,
    en: 'The sign-in attempt is unknown, used or expired: start again',
    zh: '登录请求无效、已使用或已过期，请重新开始',
  },
  OAUTH_DENIED: {
    status: 400,
    en: 'The identity provider did not grant the sign-in',
    zh: '身份提供方未授权此次登录',
  },
  OAUTH_CODE_REJECTED: {
    status: 400,
    en: 'The identity provider refused the authorization code (used or expired)',
    zh: '身份提供方拒绝了授权码（已使用或已过期）',
  },
  OAUTH_ID_TOKEN_INVALID: {
    status: 502,
    en: "The identity provider's answer failed verification (signature, audience, nonce or time)",
    zh: '身份提供方的应答未通过校验（签名、受众、nonce 或时间）',
  },
  OAUTH_PROVIDER_FAILED: {
    status: 502,
    en: 'The identity provider answered with an error or an unusable response',
    zh: '身份提供方返回错误或无法使用的应答',
  },
  OAUTH_PROVIDER_TIMEOUT: {
    status: 504,
    en: 'The identity provider did not answer in time',
    zh: '身份提供方未能及时响应',
  },
  OAUTH_SIGNUP_DISABLED: {
    status: 403,
    en: 'No account is linked to this identity, and this provider does not create accounts',
    zh: '该身份未关联账号，且此身份提供方不允许注册新账号',
  },
  OAUTH_CODE_INVALID: {
    status: 400,
    en: 'The sign-in code is unknown, used or expired: sign in again',
    zh: '登录码无效、已使用或已过期，请重新登录',
  },
  IDENTITY_CONFIRM_REQUIRED: {
    status: 409,
    en: 'An account with this verified e-mail exists: prove it is yours to link this identity',
    zh: '已有使用该邮箱的账号：请验证该账号以关联此身份',
  },
  IDENTITY_LINK_TICKET_INVALID: {
    status: 400,
    en: 'The link ticket is unknown, used or expired: sign in with the provider again',
    zh: '关联票据无效、已使用或已过期，请重新通过身份提供方登录',
  },
  OAUTH_PROVIDER_EXISTS: {
    status: 409,
    en: 'An identity provider with this name exists',
    zh: '同名身份提供方已存在',
  },
} as const satisfies Record<string, ErrorDef>;

export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    OAUTH_PROVIDER_UNKNOWN: true;
    OAUTH_RETURN_URL_INVALID: true;
    OAUTH_STATE_INVALID: true;
    OAUTH_DENIED: true;
    OAUTH_CODE_REJECTED: true;
    OAUTH_ID_TOKEN_INVALID: true;
    OAUTH_PROVIDER_FAILED: true;
    OAUTH_PROVIDER_TIMEOUT: true;
    OAUTH_SIGNUP_DISABLED: true;
    OAUTH_CODE_INVALID: true;
    IDENTITY_CONFIRM_REQUIRED: true;
    IDENTITY_LINK_TICKET_INVALID: true;
    OAUTH_PROVIDER_EXISTS: true;
  }
}
