import type { ErrorDef } from '../contract/errors.js';

/** The error codes of password reset, e-mail verification and password change. */
export const CREDENTIAL_ERRORS = {
  EMAIL_NOT_VERIFIED: {
    status: 403,
    en: 'Confirm your e-mail address first with the link in the verification mail',
    zh: '请先通过验证邮件中的链接验证您的邮箱',
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    EMAIL_NOT_VERIFIED: true;
  }
}
