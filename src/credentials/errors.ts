import type { ErrorDef } from '../contract/errors.js';

/** The error codes of password reset, e-mail verification and password change. */
export const CREDENTIAL_ERRORS = {
  EMAIL_NOT_VERIFIED: {
    status: 403,
    en: 'Confirm your e-mail address first with the link in the verification mail',
    zh: '请先通过验证邮件中的链接验证您的邮箱',
    help: {
      causes:
        '`TESSERA_EMAIL_VERIFICATION=required` and the account has not followed its verification link yet (said only after a correct password; a new verification mail is sent).',
      fix: 'Follow the link in the verification mail; ask for a new one with `POST /api/auth/email/verification`. No mail arrives? See `GET /api/admin/outbox` and `TESSERA_SMTP_URL`.',
    },
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    EMAIL_NOT_VERIFIED: true;
  }
}
