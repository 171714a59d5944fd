/**
 * Every error code Tessera answers with, its HTTP status and its messages.
 * Codes are stable API: clients branch on `error` (and seed-001 clients look
 * for the code inside `message`). Never branch on message text.
 * docs/api.md lists the same table; src/contract/errors.test.ts keeps them in step.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, en: 'The request is not valid', zh: '请求参数不合法' },
  PASSWORD_WEAK: {
    status: 400,
    en: 'The password is too weak',
    zh: '密码强度不足',
  },
  INVALID_CREDENTIALS: { status: 401, en: 'Wrong username or password', zh: '用户名或密码错误' },
  KEY_EXPIRED: {
    status: 401,
    en: 'The secure session expired, fetch a new public key',
    zh: '安全会话已过期，请重新获取公钥',
  },
  KEY_NOT_FOUND: {
    status: 401,
    en: 'Security check failed, reload and try again',
    zh: '安全验证失败，请刷新页面重试',
  },
  TOKEN_MISSING: { status: 401, en: 'Authentication is required', zh: '需要登录' },
  TOKEN_INVALID: { status: 401, en: 'The token is not valid', zh: '令牌无效' },
  TOKEN_EXPIRED: { status: 401, en: 'The token has expired', zh: '令牌已过期' },
  TOKEN_REVOKED: { status: 401, en: 'The token has been revoked', zh: '令牌已被撤销' },
  SESSION_ENDED: { status: 401, en: 'The session has ended', zh: '会话已结束' },
  MFA_REQUIRED: { status: 401, en: 'A second factor is required', zh: '需要二次验证' },
  FORBIDDEN: { status: 403, en: 'You do not have permission for this', zh: '没有权限' },
  NOT_FOUND: { status: 404, en: 'Not found', zh: '资源不存在' },
  TENANT_NOT_FOUND: { status: 404, en: 'Unknown or disabled tenant', zh: '租户不存在或已停用' },
  TENANT_EXISTS: { status: 409, en: 'The tenant already exists', zh: '租户已存在' },
  METHOD_NOT_ALLOWED: { status: 405, en: 'Method not allowed', zh: '不支持该请求方法' },
  USER_EXISTS: { status: 409, en: 'The user already exists', zh: '用户已存在' },
  IDENTITY_IN_USE: {
    status: 409,
    en: 'This external account is already linked to another user',
    zh: '该外部账号已绑定其他用户',
  },
  LAST_LOGIN_METHOD: {
    status: 409,
    en: 'This is the last way to log in to the account: set a password or link another account first',
    zh: '这是该账户最后一种登录方式，请先设置密码或绑定其他账号',
  },
  CONFLICT: {
    status: 409,
    en: 'The request conflicts with the current state',
    zh: '请求与当前状态冲突',
  },
  PAYLOAD_TOO_LARGE: { status: 413, en: 'The request body is too large', zh: '请求体过大' },
  ACCOUNT_DISABLED: { status: 403, en: 'The account is disabled', zh: '账户已被禁用' },
  LOGIN_REJECTED: {
    status: 409,
    en: 'Already signed in elsewhere; sign out there first',
    zh: '账号已在其他地方登录，请先退出',
  },
  RATE_LIMITED: {
    status: 429,
    en: 'Too many requests, try again later',
    zh: '请求过于频繁，请稍后再试',
  },
  INTERNAL: { status: 500, en: 'Internal error', zh: '服务器内部错误' },
  UNAVAILABLE: {
    status: 503,
    en: 'Temporarily unavailable, try again shortly',
    zh: '服务暂时不可用，请稍后再试',
  },
} as const satisfies Record<string, ErrorDef>;

/** An error code's HTTP status and its messages. */
export interface ErrorDef {
  status: number;
  en: string;
  zh: string;
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
