import type { ErrorDef } from '../contract/errors.js';

/** The error codes of the brute-force ladder and human verification. */
export const BRUTE_FORCE_ERRORS = {
  CAPTCHA_REQUIRED: { status: 400, en: 'Human verification is required', zh: '需要人机验证' },
  CAPTCHA_FAILED: { status: 400, en: 'Human verification failed', zh: '人机验证失败' },
  ACCOUNT_LOCKED: { status: 423, en: 'The account is temporarily locked', zh: '账户已被临时锁定' },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    CAPTCHA_REQUIRED: true;
    CAPTCHA_FAILED: true;
    ACCOUNT_LOCKED: true;
  }
}
