import { int, type ConfigOf, type Field } from '../config/schema.js';

/** Password reset, e-mail verification and password change: the fields this feature adds. */
export const CREDENTIAL_FIELDS = {
  emailVerification: {
    env: 'TESSERA_EMAIL_VERIFICATION',
    kind: { t: 'enum', values: ['required', 'optional', 'off'] },
    default: 'optional',
    example: 'required',
    doc: 'E-mail verification: `required` refuses the login of an account whose e-mail is not verified (EMAIL_NOT_VERIFIED, only after a correct password), `optional` sends the verification mail but lets the login through, `off` sends none (dynamic).',
  },
  resetTokenTtlMinutes: {
    env: 'TESSERA_PASSWORD_RESET_TTL_MINUTES',
    kind: int(5, 24 * 60),
    default: 30,
    example: '30',
    doc: 'Lifetime of a password-reset link.',
  },
  verifyTokenTtlHours: {
    env: 'TESSERA_EMAIL_VERIFICATION_TTL_HOURS',
    kind: int(1, 30 * 24),
    default: 48,
    example: '48',
    doc: 'Lifetime of an e-mail verification link.',
  },
  resetUrl: {
    env: 'TESSERA_PASSWORD_RESET_URL',
    kind: { t: 'url', protocols: ['http:', 'https:'] },
    default: undefined,
    example: 'https://app.example.com/reset-password',
    doc: 'The page a reset mail links to, with `?token=…` added; unset = `<TESSERA_PUBLIC_URL>/login/reset`.',
  },
  verifyUrl: {
    env: 'TESSERA_EMAIL_VERIFY_URL',
    kind: { t: 'url', protocols: ['http:', 'https:'] },
    default: undefined,
    example: 'https://app.example.com/verify-email',
    doc: 'The page a verification mail links to, with `?token=…` added; unset = `<TESSERA_PUBLIC_URL>/login/verify`.',
  },
  forgotPerIpPerHour: {
    env: 'TESSERA_PASSWORD_FORGOT_PER_IP_PER_HOUR',
    kind: int(1, 100_000),
    default: 20,
    example: '20',
    doc: 'Password-reset requests one IP may make per hour (then 429).',
  },
  forgotPerAccountPerHour: {
    env: 'TESSERA_PASSWORD_FORGOT_PER_ACCOUNT_PER_HOUR',
    kind: int(1, 1000),
    default: 3,
    example: '3',
    doc: 'Reset mails one account receives per hour; further requests are answered alike and send nothing.',
  },
  verificationMailsPerHour: {
    env: 'TESSERA_EMAIL_VERIFICATION_MAILS_PER_HOUR',
    kind: int(1, 1000),
    default: 3,
    example: '3',
    doc: 'Verification mails one account may ask for per hour (resend endpoint, refused logins).',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof CREDENTIAL_FIELDS> {}
}

declare module '../settings/service.js' {
  interface FeatureSettings {
    emailVerification: 'required' | 'optional' | 'off';
  }
}
