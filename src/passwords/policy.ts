import { readFileSync } from 'node:fs';

/**
 * Password rules (OWASP ASVS 2.1): 8..128 characters, any characters,
 * never truncated, and not one of the most common passwords.
 */
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 128;

const COMMON = new Set(
  readFileSync(new URL('../../src/passwords/common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter(Boolean),
);

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, username?: string): string | null {
  const chars = [...password].length;
  if (chars < PASSWORD_MIN) return `password must be at least ${PASSWORD_MIN} characters`;
  if (chars > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters`;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'password must not contain control characters';
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'password is too common';
  if (username && lower === username.toLowerCase()) return 'password must differ from the username';
  return null;
}
