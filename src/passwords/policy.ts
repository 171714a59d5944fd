import { readFileSync } from 'node:fs';
import type { PwnedCheck } from './pwned.js';
import { strengthOf } from './strength.js';

/**
 * Password rules (OWASP ASVS 2.1): 8..128 characters, any characters,
 * never truncated, not one of the most common passwords, and (zxcvbn) not
 * easy to guess; optionally not in a breach corpus (Pwned Passwords).
 */
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 128;

const COMMON = new Set(
  readFileSync(new URL('../../src/passwords/common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter(Boolean),
);

/** Why a new password is refused: a reason code and its text in each language. */
export interface WeakPassword {
  /** `length` and `control` are form errors (VALIDATION_FAILED); the others are PASSWORD_WEAK. */
  reason: 'length' | 'control' | 'common' | 'username' | 'guessable' | 'breached';
  en: string;
  zh: string;
  /** zxcvbn's score, when it was asked. */
  score?: number;
}

function formProblem(password: string, username?: string): WeakPassword | null {
  const chars = [...password].length;
  if (chars < PASSWORD_MIN)
    return {
      reason: 'length',
      en: `password must be at least ${PASSWORD_MIN} characters`,
      zh: `密码至少需要 ${PASSWORD_MIN} 个字符`,
    };
  if (chars > PASSWORD_MAX)
    return {
      reason: 'length',
      en: `password must be at most ${PASSWORD_MAX} characters`,
      zh: `密码最多 ${PASSWORD_MAX} 个字符`,
    };
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(password))
    return {
      reason: 'control',
      en: 'password must not contain control characters',
      zh: '密码不能包含控制字符',
    };
  const lower = password.toLowerCase();
  if (COMMON.has(lower))
    return { reason: 'common', en: 'password is too common', zh: '密码过于常见' };
  if (username && lower === username.toLowerCase())
    return {
      reason: 'username',
      en: 'password must differ from the username',
      zh: '密码不能与用户名相同',
    };
  return null;
}

/**
 * The synchronous rules: form, the shipped common-password list, and zxcvbn's
 * score (with the username as a dictionary word) when `minScore` > 0.
 */
export function weakPassword(
  password: string,
  username?: string,
  minScore = 0,
): WeakPassword | null {
  const form = formProblem(password, username);
  if (form || minScore <= 0) return form;
  const s = strengthOf(password, username ? [username] : []);
  if (s.score >= minScore) return null;
  const why = s.warning ? ` (${s.warning.replace(/\.$/, '')})` : '';
  return {
    reason: 'guessable',
    score: s.score,
    en: `password is too easy to guess: strength ${s.score} of 4, at least ${minScore} needed${why}; use a longer phrase of uncommon words`,
    zh: `密码太容易被猜到：强度 ${s.score}/4，至少需要 ${minScore}；请使用更长、由不常见词语组成的短语`,
  };
}

/** Why a new password is refused (English text), or null when it is acceptable. */
export function passwordProblem(password: string, username?: string, minScore = 0): string | null {
  return weakPassword(password, username, minScore)?.en ?? null;
}

/** The rules in force for one tenant: its minimum zxcvbn score and the optional breach check. */
export interface PasswordPolicy {
  /** Why `password` may not become `username`'s password, or null. */
  check(password: string, username: string): Promise<WeakPassword | null>;
}

export function createPasswordPolicy(o: {
  /** Read on every check: a run-time setting. */
  minScore: () => number;
  pwned?: PwnedCheck | undefined;
}): PasswordPolicy {
  return {
    async check(password, username) {
      const weak = weakPassword(password, username, o.minScore());
      if (weak || !o.pwned) return weak;
      if ((await o.pwned(password)) !== 'breached') return null;
      return {
        reason: 'breached',
        en: 'password appears in a known data breach; choose another',
        zh: '该密码出现在已知的数据泄露中，请换一个',
      };
    },
  };
}
