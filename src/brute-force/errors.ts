import type { ErrorDef } from '../contract/errors.js';

/** The error codes of the brute-force ladder and human verification. */
export const BRUTE_FORCE_ERRORS = {
  CAPTCHA_REQUIRED: {
    status: 400,
    en: 'Human verification is required',
    zh: '需要人机验证',
    help: {
      causes:
        'The account has failed `TESSERA_CAPTCHA_AFTER_FAILURES` logins in a row (or register requires a captcha: `TESSERA_REGISTER_CAPTCHA`), and the request carried no `captcha` solution.',
      fix: 'Get a challenge (`GET /api/public/captcha/challenge`), solve it in the browser and resend the request with `captcha`.',
    },
  },
  CAPTCHA_FAILED: {
    status: 400,
    en: 'Human verification failed',
    zh: '人机验证失败',
    help: {
      causes:
        'The captcha solution is wrong, expired, already used, or for another challenge; with Turnstile, `TESSERA_TURNSTILE_SECRET` does not match the site key.',
      fix: 'Fetch a new challenge and solve it again. Check `TESSERA_CAPTCHA_PROVIDER` and its secret if every solution fails.',
    },
  },
  ACCOUNT_LOCKED: {
    status: 423,
    en: 'The account is temporarily locked',
    zh: '账户已被临时锁定',
    help: {
      causes:
        '`TESSERA_LOCK_AFTER_FAILURES` failed logins in a row: the account is locked for `TESSERA_LOCK_SECONDS` (from the failing address only under `TESSERA_LOCKOUT_MODE=account_ip`, the default; for everyone under `account`).',
      fix: 'Wait for `Retry-After`, or an administrator unlocks it at once: `POST /api/admin/users/{id}/unlock`. Many locks at once hint at password spraying: see the audit log and the alerts.',
    },
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    CAPTCHA_REQUIRED: true;
    CAPTCHA_FAILED: true;
    ACCOUNT_LOCKED: true;
  }
}
