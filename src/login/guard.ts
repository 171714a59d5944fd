import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
/**
 * Brute-force protection around the credential check (seed 004): the
 * brute-force feature implements it and places it in the login pipeline
 * (src/brute-force/login-steps.ts). The methods
 * throw a TesseraError (RATE_LIMITED, ACCOUNT_LOCKED, CAPTCHA_REQUIRED,
 * CAPTCHA_FAILED) to refuse.
 */
export interface LoginAttempt {
  /** The tenant the attempt is made in (absent = default): counters are per tenant. */
  tenant?: TenantId | undefined;
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

/** One-time RSA key decryption (seed 001 encrypted login); src/login-keys/ implements it. */
export interface PasswordDecryptor {
  /** Throws KEY_NOT_FOUND / KEY_EXPIRED; `{ ok: false }` when the ciphertext does not decrypt. */
  consume(
    keyId: string,
    encryptedPasswordB64: string,
    opts?: { tenant?: string | undefined },
  ): Promise<{ ok: true; password: string } | { ok: false }>;
}

/** The key a tenant's account is counted under: the name itself in the default tenant (unchanged keys), tenant-qualified elsewhere. */
export function countedAccount(tenant: TenantId | undefined, accountKey: string): string {
  return !tenant || tenant === DEFAULT_TENANT ? accountKey : `${tenant}\u0000${accountKey}`;
}
