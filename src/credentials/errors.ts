import type { ErrorDef } from '../contract/errors.js';

/** The error codes of password reset, e-mail verification and password change. */
export const CREDENTIAL_ERRORS = {
  EMAIL_NOT_VERIFIED: {
    status: 403,
    en: 'Confirm your e-mail address first: a verification link has been sent to it',
    zh: '请先验证邮箱：验证链接已发送到您的邮箱',
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    EMAIL_NOT_VERIFIED: true;
  }
}
