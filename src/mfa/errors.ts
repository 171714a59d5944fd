import type { ErrorDef } from '../contract/errors.js';

/** The second factor's error codes (MFA_REQUIRED itself is the core's: src/contract/errors.ts). */
export const MFA_ERRORS = {
  MFA_INVALID: { status: 401, en: 'The second-factor code is wrong', zh: '二次验证码错误' },
  MFA_CODE_REUSED: {
    status: 401,
    en: 'This code has already been used: wait for the next one',
    zh: '该验证码已被使用，请等待下一个',
  },
  MFA_TICKET_INVALID: {
    status: 401,
    en: 'The second-factor ticket is unknown, used, expired or spent: log in again',
    zh: '二次验证票据无效、已使用或已过期，请重新登录',
  },
  MFA_ENROLL_REQUIRED: {
    status: 401,
    en: 'A second factor must be set up before logging in',
    zh: '登录前必须设置二次验证',
  },
  MFA_NOT_ENROLLED: {
    status: 409,
    en: 'No second factor is set up',
    zh: '尚未设置二次验证',
  },
  MFA_ALREADY_ENROLLED: {
    status: 409,
    en: 'A second factor is already active: turn it off first',
    zh: '二次验证已启用，请先关闭',
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    MFA_INVALID: true;
    MFA_CODE_REUSED: true;
    MFA_TICKET_INVALID: true;
    MFA_ENROLL_REQUIRED: true;
    MFA_NOT_ENROLLED: true;
    MFA_ALREADY_ENROLLED: true;
  }
}
