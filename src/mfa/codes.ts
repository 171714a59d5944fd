import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { sha256 } from '../lib/crypto.js';

/** RFC 6238 parameters every authenticator app supports: SHA-1, 6 digits, 30 s. */
const PERIOD_S = 30;
const DIGITS = 6;
/** ±1 step of clock drift between the phone and the server (RFC 6238 §5.2). */
const WINDOW = 1;
const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 alphabet: no I, L, O, U, so a code read aloud is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new TOTP secret: 160 bits (RFC 4226 §4 recommends at least that), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(secretB32: string, issuer: string, label: string): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_S,
    secret: Secret.fromBase32(secretB32),
  });
}

/** The `otpauth://totp/...` URI authenticator apps scan, and the same as an SVG QR code. */
export async function provisioning(
  secretB32: string,
  issuer: string,
  label: string,
): Promise<{ uri: string; svg: string }> {
  const uri = totpOf(secretB32, issuer, label).toString();
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { uri, svg };
}

/** Is `code` six digits (spaces allowed between them)? Otherwise it may be a recovery code. */
export function looksLikeTotp(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s/g, ''));
}

/**
 * The time step a TOTP code is valid for, within ±1 step of `now`, or null.
 * The caller accepts a step only once (the replay guard keeps the last one).
 */
export function totpStep(secretB32: string, code: string, now: number): number | null {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpOf(secretB32, 'x', 'x').validate({ token, timestamp: now, window: WINDOW });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_S) + delta;
}

/** For tests: the code of `now` (or another instant). */
export function totpCode(secretB32: string, now: number): string {
  return totpOf(secretB32, 'x', 'x').generate({ timestamp: now });
}

/** Ten recovery codes of 80 random bits each, shown as XXXX-XXXX-XXXX-XXXX. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(16);
    let s = '';
    for (let i = 0; i < 16; i++) s += ALPHABET[bytes[i]! & 31];
    return s.match(/.{4}/g)!.join('-');
  });
}

/** A recovery code as typed (any case, dashes or spaces), in its canonical form; null if it cannot be one. */
export function normaliseRecoveryCode(code: string): string | null {
  const s = code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(s) ? s : null;
}

/** The stored form of a recovery code: bound to its user, so equal codes of two users differ. */
export function recoveryHash(userId: number, normalised: string): string {
  return sha256(`mfa-recovery:${userId}:${normalised}`);
}
