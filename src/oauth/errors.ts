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
    help: {
      causes:
        'No identity provider of that name is configured for the tenant (`TESSERA_OAUTH_PROVIDERS` or `/api/admin/identity-providers`).',
      fix: 'Check the provider name in the URL against `GET /api/public/auth/oauth/providers`.',
    },
  },
  OAUTH_RETURN_URL_INVALID: {
    status: 400,
    en: 'The return URL is not one this identity provider allows',
    zh: '返回地址不在该身份提供方允许的列表中',
    help: {
      causes:
        "The `return_to` URL is not in the provider's `return_urls` list (the comparison is exact: scheme, host, port and path).",
      fix: "Add the URL to the provider's `return_urls`, or send one that is listed.",
    },
  },
  OAUTH_STATE_INVALID: {
    status: 400,
    en: 'The sign-in attempt is unknown, used or expired: start again',
    zh: '登录请求无效、已使用或已过期，请重新开始',
    help: {
      causes:
        "The callback's `state` is missing, unknown, already used or older than `TESSERA_OAUTH_STATE_TTL_SECONDS`: a replayed or forged callback, a sign-in started on another deployment, or the user took too long at the provider.",
      fix: "Start the sign-in again from the application. If it always happens, check that every node shares the database and that the provider redirects to this deployment's `TESSERA_PUBLIC_URL`.",
    },
  },
  OAUTH_DENIED: {
    status: 400,
    en: 'The identity provider did not grant the sign-in',
    zh: '身份提供方未授权此次登录',
    help: {
      causes:
        'The user cancelled at the provider, or the provider refused the request (its `error` parameter).',
      fix: "Start again; if the provider refuses every time, check the client's configuration there (redirect URI, scopes).",
    },
  },
  OAUTH_CODE_REJECTED: {
    status: 400,
    en: 'The identity provider refused the authorization code (used or expired)',
    zh: '身份提供方拒绝了授权码（已使用或已过期）',
    help: {
      causes:
        'The provider refused the authorization code: used twice, expired, or issued to another client or redirect URI.',
      fix: 'Start the sign-in again. Check that the redirect URI registered at the provider is `<TESSERA_PUBLIC_URL>/api/public/auth/oauth/<provider>/callback`.',
    },
  },
  OAUTH_ID_TOKEN_INVALID: {
    status: 502,
    en: "The identity provider's answer failed verification (signature, audience, nonce or time)",
    zh: '身份提供方的应答未通过校验（签名、受众、nonce 或时间）',
    help: {
      causes:
        "The provider's ID token failed verification: signature, issuer, audience (the client id), nonce or its times (a clock off by minutes).",
      fix: "Check the provider's `issuer` and `client_id`, and the server's clock (NTP).",
    },
  },
  OAUTH_PROVIDER_FAILED: {
    status: 502,
    en: 'The identity provider answered with an error or an unusable response',
    zh: '身份提供方返回错误或无法使用的应答',
    help: {
      causes:
        'The provider answered with an error or with something unusable (no subject, not JSON, too large), or discovery at `issuer` failed; a wrong `client_secret` usually shows here.',
      fix: "Check the provider's endpoints and credentials; the log has the provider's answer status.",
    },
  },
  OAUTH_PROVIDER_TIMEOUT: {
    status: 504,
    en: 'The identity provider did not answer in time',
    zh: '身份提供方未能及时响应',
    help: {
      causes: 'The provider did not answer within `TESSERA_OAUTH_TIMEOUT_MS`.',
      fix: 'Retry; check outbound connectivity (proxy, DNS, firewall) from the Tessera nodes to the provider.',
    },
  },
  OAUTH_SIGNUP_DISABLED: {
    status: 403,
    en: 'No account is linked to this identity, and this provider does not create accounts',
    zh: '该身份未关联账号，且此身份提供方不允许注册新账号',
    help: {
      causes:
        'No account is linked to this external identity, and the provider is configured with `allow_signup: false`.',
      fix: 'Sign in another way and link the provider from the account, or allow sign-up on the provider.',
    },
  },
  OAUTH_CODE_INVALID: {
    status: 400,
    en: 'The sign-in code is unknown, used or expired: sign in again',
    zh: '登录码无效、已使用或已过期，请重新登录',
    help: {
      causes:
        'The one-time code of the return URL is unknown, already exchanged, or older than `TESSERA_OAUTH_CODE_TTL_SECONDS`.',
      fix: 'Exchange the code once, right after the redirect; start the sign-in again otherwise.',
    },
  },
  IDENTITY_CONFIRM_REQUIRED: {
    status: 409,
    en: 'An account with this verified e-mail exists: prove it is yours to link this identity',
    zh: '已有使用该邮箱的账号：请验证该账号以关联此身份',
    help: {
      causes:
        "An account with the provider's verified e-mail address exists but is not linked to this identity; linking needs proof that the user owns it. `data` holds a `link_ticket`.",
      fix: "Ask for that account's password (and second factor) and post them with the ticket to `POST /api/public/auth/oauth/link/confirm`.",
    },
  },
  IDENTITY_LINK_TICKET_INVALID: {
    status: 400,
    en: 'The link ticket is unknown, used or expired: sign in with the provider again',
    zh: '关联票据无效、已使用或已过期，请重新通过身份提供方登录',
    help: {
      causes: 'The link ticket is unknown, used, older than 300 s, or spent by 5 wrong passwords.',
      fix: 'Sign in with the provider again to get a new ticket.',
    },
  },
  OAUTH_PROVIDER_EXISTS: {
    status: 409,
    en: 'An identity provider with this name exists',
    zh: '同名身份提供方已存在',
    help: {
      causes:
        'An identity provider with this name is already configured for the tenant (also when it comes from `TESSERA_OAUTH_PROVIDERS`).',
      fix: 'Update it (`PUT /api/admin/identity-providers/{provider}`) or choose another name.',
    },
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
