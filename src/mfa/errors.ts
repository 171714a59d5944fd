import type { ErrorDef } from '../contract/errors.js';

/** The second factor's error codes (MFA_REQUIRED itself is the core's: src/contract/errors.ts). */
export const MFA_ERRORS = {
  MFA_INVALID: {
    status: 401,
    en: 'The second-factor code is wrong',
    zh: '二次验证码错误',
    help: {
      causes:
        "The TOTP code is wrong or outside the accepted time window (the phone's clock is off), or the recovery code is not one of the account's unused ones. It counts as a failed login (captcha, then lock).",
      fix: 'Enter the current code from the authenticator app; check that the phone sets its time automatically. A recovery code works once.',
    },
  },
  MFA_CODE_REUSED: {
    status: 401,
    en: 'This code has already been used: wait for the next one',
    zh: '该验证码已被使用，请等待下一个',
    help: {
      causes:
        'This TOTP code was already accepted once within its 30-second step: a code serves one login.',
      fix: 'Wait for the next code (at most 30 seconds).',
    },
  },
  MFA_TICKET_INVALID: {
    status: 401,
    en: 'The second-factor ticket is unknown, used, expired or spent: log in again',
    zh: '二次验证票据无效、已使用或已过期，请重新登录',
    help: {
      causes:
        'The `mfa_ticket` is unknown, used, expired (`TESSERA_MFA_TICKET_TTL_SECONDS`), spent by too many wrong codes, or presented from another device.',
      fix: 'Log in again with the password to get a new ticket.',
    },
  },
  MFA_ENROLL_REQUIRED: {
    status: 401,
    en: 'A second factor must be set up before logging in',
    zh: '登录前必须设置二次验证',
    help: {
      causes:
        "The user's role or type must have a second factor (`TESSERA_MFA_REQUIRED_ROLES`, `TESSERA_MFA_REQUIRED_USER_TYPES`) and has none yet. `data` holds a ticket for enrolment.",
      fix: 'Enrol with the ticket: `POST /api/public/auth/mfa/totp/enroll`, then confirm with a first code (`…/totp/confirm`), which logs in.',
    },
  },
  MFA_NOT_ENROLLED: {
    status: 409,
    en: 'No second factor is set up',
    zh: '尚未设置二次验证',
    help: {
      causes: 'No second factor is set up (or none pending confirmation) for this account.',
      fix: 'Start with `POST /api/auth/mfa/totp/enroll`.',
    },
  },
  MFA_ALREADY_ENROLLED: {
    status: 409,
    en: 'A second factor is already active: turn it off first',
    zh: '二次验证已启用，请先关闭',
    help: {
      causes: 'A second factor is already active on the account.',
      fix: 'Turn it off first (`DELETE /api/auth/mfa/totp` behind the password or a code), or an administrator removes it (`DELETE /api/admin/users/{id}/mfa`).',
    },
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
