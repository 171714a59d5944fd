/**
 * Brute-force protection around the password check (seed 004). The login
 * service calls it; src/rate-limit/ provides the real policy. The methods
 * throw a TesseraError (RATE_LIMITED, ACCOUNT_LOCKED, CAPTCHA_REQUIRED,
 * CAPTCHA_FAILED) to refuse.
 */
export interface LoginAttempt {
  /** Canonical account name as typed (username or e-mail key), known user or not. */
  accountKey: string;
  ip: string;
  captcha?: string | undefined;
  userId?: number | undefined;
  /** For the audit rows and alerts the guard writes. */
  userAgent?: string | null | undefined;
  deviceId?: string | null | undefined;
}

export interface LoginGuard {
  /** Before the password is checked. */
  before(a: LoginAttempt): Promise<void>;
  failed(a: LoginAttempt): Promise<void>;
  succeeded(a: LoginAttempt): Promise<void>;
}

/** Human verification for other flows (register). */
export interface CaptchaCheck {
  /** Throws CAPTCHA_REQUIRED when missing, CAPTCHA_FAILED when wrong or reused. */
  require(
    solution: string | undefined,
    purpose: string,
    from: {
      ip: string;
      userAgent?: string | null | undefined;
      deviceId?: string | null | undefined;
    },
  ): Promise<void>;
}

export const noGuard: LoginGuard = {
  before: async () => {},
  failed: async () => {},
  succeeded: async () => {},
};
export const noCaptcha: CaptchaCheck = { require: async () => {} };

/** One-time RSA key decryption (seed 001 encrypted login); src/login-keys/ implements it. */
export interface PasswordDecryptor {
  /** Throws KEY_NOT_FOUND / KEY_EXPIRED; `{ ok: false }` when the ciphertext does not decrypt. */
  consume(
    keyId: string,
    encryptedPasswordB64: string,
  ): Promise<{ ok: true; password: string } | { ok: false }>;
}

/** Pluggable steps of the login flow, filled in by feature modules at start (src/modules.ts). */
export interface AuthHooks {
  guard: LoginGuard;
  captcha: CaptchaCheck;
  decryptor: PasswordDecryptor | undefined;
}
