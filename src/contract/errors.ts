/**
 * Every error code Tessera answers with, its HTTP status and its messages.
 * Codes are stable API: clients branch on `error` (and seed-001 clients look
 * for the code inside `message`). Never branch on message text.
 * docs/api.md lists the same table; src/contract/docs.test.ts keeps them in step. `help` (common
 * causes, what to do) renders docs/troubleshooting.md (scripts/errors-doc.mjs).
 */
export const ERRORS = {
  VALIDATION_FAILED: {
    status: 400,
    en: 'The request is not valid',
    zh: '请求参数不合法',
    help: {
      causes:
        "The request does not match the operation's schema (a missing or unknown field, a value too long, a wrong type, a password shorter than 8 or longer than 128 characters), the body is not JSON, or a value breaks a rule the schema cannot express (an unknown role, a user type that is not a lower-case identifier). The message names the field.",
      fix: 'Read the text after `VALIDATION_FAILED: ` in `message`, and compare the request with the operation in `/openapi.json` (its example body is a valid one). Send bodies as `Content-Type: application/json`.',
    },
  },
  PASSWORD_WEAK: {
    status: 400,
    en: 'The password is too weak',
    zh: '密码强度不足',
    help: {
      causes:
        'The new password is too common, equals the username, scores under `TESSERA_PASSWORD_MIN_SCORE` (zxcvbn, 0–4) or appears in a breach (when `TESSERA_PASSWORD_PWNED_URL` is set). `data.reason` names which: `common`, `username`, `guessable`, `breached`.',
      fix: 'Choose a longer passphrase; the message says which rule refused it. Operators can lower `TESSERA_PASSWORD_MIN_SCORE` (also at run time: `PATCH /api/admin/settings {"passwordMinScore": 2}`).',
    },
  },
  INVALID_CREDENTIALS: {
    status: 401,
    en: 'Wrong username or password',
    zh: '用户名或密码错误',
    help: {
      causes:
        'Wrong username or password, an account that does not exist (the answer is the same on purpose), an encrypted password that does not decrypt with its key, a password sent in clear while `TESSERA_PLAIN_LOGIN=0`, or a wrong current password on a password change or a second-factor change.',
      fix: 'Check the username (an e-mail address also works as the username) and the password. Repeated failures lead to `CAPTCHA_REQUIRED` and then `ACCOUNT_LOCKED`; the audit log (`GET /api/admin/audit`) shows each refusal with its reason.',
    },
  },
  KEY_EXPIRED: {
    status: 401,
    en: 'The secure session expired, fetch a new public key',
    zh: '安全会话已过期，请重新获取公钥',
    help: {
      causes:
        'The one-time RSA key the password was encrypted with is older than `TESSERA_RSA_KEY_TTL_SECONDS` (the login form stayed open too long).',
      fix: 'Fetch a new key (`GET /api/public/auth/public-key`), encrypt again and resend; the encrypted-login client does this once by itself.',
    },
  },
  KEY_NOT_FOUND: {
    status: 401,
    en: 'Security check failed, reload and try again',
    zh: '安全验证失败，请刷新页面重试',
    help: {
      causes:
        'The `keyId` is unknown or was already used (each key serves one login), or the nodes of a cluster do not share Redis, so the node that answers never issued the key.',
      fix: 'Fetch a new key and retry. In a cluster, give every node the same `TESSERA_REDIS_URL` (or Sentinel settings) and `TESSERA_REDIS_PREFIX`.',
    },
  },
  TOKEN_MISSING: {
    status: 401,
    en: 'Authentication is required',
    zh: '需要登录',
    help: {
      causes:
        'The operation needs an access token and the request has no `Authorization: Bearer <token>` header (or, under `TESSERA_PUBLIC_TOKEN_PATHS`, no public API token). A proxy that drops the `Authorization` header causes it too.',
      fix: 'Send the access token from the login answer. Behind a proxy, check that it forwards `Authorization`.',
    },
  },
  TOKEN_INVALID: {
    status: 401,
    en: 'The token is not valid',
    zh: '令牌无效',
    help: {
      causes:
        'The token is malformed, signed by a key this deployment does not know, issued for another issuer or audience (`TESSERA_ISSUER`, `TESSERA_AUDIENCE`, another tenant), not a refresh token Tessera issued, or not one of `TESSERA_PUBLIC_API_TOKENS`; also a reset or verification link already used.',
      fix: 'Log in again to get a fresh token. If every token of a node is refused after a restart, its signing keys were lost or cannot be unsealed: see "Every token is refused after a restart" below.',
    },
  },
  TOKEN_EXPIRED: {
    status: 401,
    en: 'The token has expired',
    zh: '令牌已过期',
    help: {
      causes:
        'The access token is past its `exp` (`TESSERA_ACCESS_TOKEN_TTL_SECONDS`, default 15 minutes), the refresh token past `TESSERA_REFRESH_TOKEN_TTL_SECONDS`, or a reset or verification link past its lifetime. A clock more than `TESSERA_CLOCK_SKEW_SECONDS` apart between nodes can cause it early.',
      fix: "Refresh (`POST /api/public/auth/refresh`); when the refresh token has expired too, log in again. Keep the nodes' clocks in sync (NTP).",
    },
  },
  TOKEN_REVOKED: {
    status: 401,
    en: 'The token has been revoked',
    zh: '令牌已被撤销',
    help: {
      causes:
        "The token's `jti` was put on the denylist (`POST /api/admin/denylist`), the user's roles changed since the access token was issued (refresh to get one with the new roles), or a refresh token was used a second time after its rotation grace (`TESSERA_REFRESH_REUSE_GRACE_SECONDS`): Tessera treats that as a stolen token and ends the session.",
      fix: 'Log in again. If it happens to well-behaved clients, two tabs or a retry are refreshing with the same refresh token: serialize refreshes in the client (one at a time, share the result).',
    },
  },
  SESSION_ENDED: {
    status: 401,
    en: 'The session has ended',
    zh: '会话已结束',
    help: {
      causes:
        'The session the token belongs to has ended: logout, logout everywhere, a login elsewhere under the `single` login policy, a forced logout by an administrator, a password change or reset, a disabled or deleted user, the idle timeout (`TESSERA_SESSION_IDLE_TIMEOUT_SECONDS`), the maximum lifetime (`TESSERA_SESSION_MAX_LIFETIME_SECONDS`), or the session cap (`TESSERA_MAX_SESSIONS_PER_USER`) ending the oldest one.',
      fix: 'Log in again. The audit log says which of these ended it (`session.end` with its reason).',
    },
  },
  MFA_REQUIRED: {
    status: 401,
    en: 'A second factor is required',
    zh: '需要二次验证',
    help: {
      causes:
        'The password was right and the account has a second factor, and the login carried no `mfa_code`. Not a failure: a challenge. `data` holds the `mfa_ticket`.',
      fix: 'Ask the user for the TOTP or recovery code and post it with the ticket to `POST /api/public/auth/mfa/verify` (or send `mfa_code` with the login).',
    },
  },
  FORBIDDEN: {
    status: 403,
    en: 'You do not have permission for this',
    zh: '没有权限',
    help: {
      causes:
        "The caller is signed in but its roles do not grant the permission the operation needs (the operation's `x-permission` in `/openapi.json`), or its role's level is too low. Roles are read as they are now, not as the token was issued.",
      fix: 'Give the user a role with that permission (`PUT /api/admin/users/{id}/roles`) or add the permission to its role (`PUT /api/admin/roles/{name}`). `GET /api/admin/permissions` lists them.',
    },
  },
  NOT_FOUND: {
    status: 404,
    en: 'Not found',
    zh: '资源不存在',
    help: {
      causes:
        "No such route, or no such object (user, session, role, tenant) in the caller's tenant; also a route that does not serve tenants asked for under a tenant other than `default`.",
      fix: 'Check the path (and `TESSERA_CONTEXT_PATH`, `/api` by default) and the id. Objects of another tenant are never visible.',
    },
  },
  TENANT_NOT_FOUND: {
    status: 404,
    en: 'Unknown or disabled tenant',
    zh: '租户不存在或已停用',
    help: {
      causes:
        'The request names a tenant (path `/t/<tenant>/…`, header or host, per `TESSERA_TENANT_RESOLUTION`) that does not exist or is disabled.',
      fix: '`tessera tenant list` shows the tenants and their status; `tessera tenant enable <id>` turns one back on. Check `TESSERA_TENANT_HOSTS` when tenants are resolved by host.',
    },
  },
  TENANT_EXISTS: {
    status: 409,
    en: 'The tenant already exists',
    zh: '租户已存在',
    help: {
      causes: 'A tenant with this id already exists.',
      fix: 'Choose another id, or manage the existing tenant (`PATCH /api/admin/tenants/{id}`).',
    },
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    en: 'Method not allowed',
    zh: '不支持该请求方法',
    help: {
      causes: 'The path exists but not with this HTTP method.',
      fix: 'Use the method listed for the path in `/openapi.json`.',
    },
  },
  USER_EXISTS: {
    status: 409,
    en: 'The user already exists',
    zh: '用户已存在',
    help: {
      causes:
        'The username or e-mail address is already taken in this tenant (case does not matter). Register says so on purpose: clients rely on it.',
      fix: 'Log in, reset the password, or pick another username. Turn on `TESSERA_REGISTER_CAPTCHA` to slow down name harvesting.',
    },
  },
  IDENTITY_IN_USE: {
    status: 409,
    en: 'This external account is already linked to another user',
    zh: '该外部账号已绑定其他用户',
    help: {
      causes:
        'The external account (WeChat openid or OAuth subject) is already linked to another user of this tenant.',
      fix: 'Sign in as the user it is linked to and unlink it there first, or keep using that user.',
    },
  },
  LAST_LOGIN_METHOD: {
    status: 409,
    en: 'This is the last way to log in to the account: set a password or link another account first',
    zh: '这是该账户最后一种登录方式，请先设置密码或绑定其他账号',
    help: {
      causes:
        'Unlinking this identity would leave the account with no way to log in: it has no usable password and no other linked identity.',
      fix: 'Set a password (`POST /api/auth/password`, or a reset mail) or link another provider, then unlink.',
    },
  },
  CONFLICT: {
    status: 409,
    en: 'The request conflicts with the current state',
    zh: '请求与当前状态冲突',
    help: {
      causes:
        'The request contradicts the current state; the message says how: deleting yourself or a built-in role, removing permissions from `admin`, asking for a verification mail when the address is verified already or e-mail verification is off, linking a second account of a provider the user already has one of, a key rotation that raced another.',
      fix: 'Read the message after `CONFLICT: `; reload the object and retry when it was a race.',
    },
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    en: 'The request body is too large',
    zh: '请求体过大',
    help: {
      causes: 'The body is larger than `TESSERA_BODY_LIMIT_BYTES`.',
      fix: "Send a smaller body. Raise `TESSERA_BODY_LIMIT_BYTES` only if a legitimate request needs it (and the proxy's limit with it, e.g. nginx `client_max_body_size`).",
    },
  },
  ACCOUNT_DISABLED: {
    status: 403,
    en: 'The account is disabled',
    zh: '账户已被禁用',
    help: {
      causes:
        'An administrator disabled the account (`status: disabled`); its sessions ended then.',
      fix: 'An administrator re-enables it: `PATCH /api/admin/users/{id} {"status": "active"}`.',
    },
  },
  LOGIN_REJECTED: {
    status: 409,
    en: 'Already signed in elsewhere; sign out there first',
    zh: '账号已在其他地方登录，请先退出',
    help: {
      causes:
        "`TESSERA_LOGIN_POLICY` (or the tenant's `loginPolicy` setting) is `reject` for this user type (e.g. `agent=reject`): a second session is refused while the user is signed in elsewhere.",
      fix: 'Sign out on the other device (or let an administrator end that session), or set the policy of the user type to `single` (the new login ends the older session) or `multi`.',
    },
  },
  RATE_LIMITED: {
    status: 429,
    en: 'Too many requests, try again later',
    zh: '请求过于频繁，请稍后再试',
    help: {
      causes:
        "Too many requests from one IP address or for one account: the per-IP budget of public routes (at least 120 per minute per route), `TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR`, the public-key, password-forgot, verification-mail or second-factor budgets. Behind a proxy without `TESSERA_TRUST_PROXY`, every client shares the proxy's address and one budget.",
      fix: 'Wait for `Retry-After` seconds (also in `data.retry_after`). If many users hit it at once, set `TESSERA_TRUST_PROXY` to your proxies so each client counts as itself; raise `TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR` for a large NAT.',
    },
  },
  INTERNAL: {
    status: 500,
    en: 'Internal error',
    zh: '服务器内部错误',
    help: {
      causes: 'A fault in Tessera, not in the request: nothing the client sent should cause it.',
      fix: "Find the log line with the answer's `X-Request-Id` (`reqId`) and report it with the stack trace there; the answer never carries one. Retrying is safe for reads.",
    },
  },
  UNAVAILABLE: {
    status: 503,
    en: 'Temporarily unavailable, try again shortly',
    zh: '服务暂时不可用，请稍后再试',
    help: {
      causes:
        'A dependency is down or slow: PostgreSQL, Redis, the captcha provider, or the pool of one-time RSA keys is empty under a burst of `GET /public-key` requests. `/readyz` fails at the same time for a database or Redis outage.',
      fix: 'Retry after `Retry-After` seconds. Check `/readyz` and the log (`dependency` field) to see which one; a pool that stays empty needs a larger `TESSERA_RSA_KEY_POOL_SIZE` or the shared key (`?alg=RSA-OAEP-256`).',
    },
  },
} as const satisfies Record<string, ErrorDef>;

/** An error code's HTTP status and its messages. */
export interface ErrorDef {
  status: number;
  en: string;
  zh: string;
  /**
   * For docs/troubleshooting.md (never sent to clients): why a client usually gets the code, and
   * what to do about it. A test requires it of every code.
   */
  help?: { causes: string; fix: string };
}

/**
 * Codes a feature adds, declared from its own folder by declaration merging
 * (`interface FeatureErrorCodes { MFA_INVALID: true }`) and registered at
 * start from its `errors` table (src/feature/contract.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface FeatureErrorCodes {}

export type ErrorCode = keyof typeof ERRORS | keyof FeatureErrorCodes;

/**
 * The one error table: the core codes above plus every feature's. Codes are
 * static API, the same in every app a process builds, so registering a
 * feature's table twice is a no-op; a code defined twice differently is a
 * programming error and throws.
 */
const TABLE = new Map<string, ErrorDef>(Object.entries(ERRORS));

export function registerErrors(defs: Readonly<Record<string, ErrorDef>>): void {
  for (const [code, def] of Object.entries(defs)) {
    const had = TABLE.get(code);
    if (had && (had.status !== def.status || had.en !== def.en || had.zh !== def.zh))
      throw new Error(`error code ${code} is defined twice, differently`);
    TABLE.set(code, def);
  }
}

export function errorDef(code: ErrorCode): ErrorDef {
  const def = TABLE.get(code);
  if (!def) throw new Error(`error code ${code} is not registered`);
  return def;
}

/** Every registered code with its definition (docs and tests). */
export function errorTable(): ReadonlyMap<string, ErrorDef> {
  return TABLE;
}

/** Success messages (seed 001 shows these texts for zh-CN). */
export const MESSAGES = {
  OK: { en: 'OK', zh: '操作成功' },
  PUBLIC_KEY: { en: 'Public key issued', zh: '公钥获取成功' },
  LOGIN: { en: 'Login successful', zh: '登录成功' },
  REGISTER: { en: 'User registered', zh: '用户注册成功' },
  REFRESH: { en: 'Token refreshed', zh: '令牌刷新成功' },
  LOGOUT: { en: 'Logged out', zh: '登出成功' },
  CREATED: { en: 'Created', zh: '创建成功' },
  RESET_REQUESTED: {
    en: 'If the account exists and has an e-mail address, a reset link is on its way',
    zh: '如果该账户存在且绑定了邮箱，重置链接已发送',
  },
  PASSWORD_RESET: { en: 'Password reset; sign in again', zh: '密码已重置，请重新登录' },
  PASSWORD_CHANGED: { en: 'Password changed', zh: '密码已修改' },
  EMAIL_VERIFIED: { en: 'E-mail address verified', zh: '邮箱验证成功' },
  VERIFICATION_SENT: { en: 'Verification mail sent', zh: '验证邮件已发送' },
} as const satisfies Record<string, { en: string; zh: string }>;

export type MessageKey = keyof typeof MESSAGES;
export type Locale = 'en' | 'zh';
