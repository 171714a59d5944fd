/**
 * Username and e-mail canonical forms. Two names that look the same must get
 * the same key, so look-alike duplicates cannot be registered:
 * NFKC folds fullwidth and compatibility forms (ｕｓｅｒ → user, ﬁ → fi),
 * then case is folded. Mixed Latin with Cyrillic/Greek letters is refused
 * (the classic homoglyph trick: Cyrillic а in "аdmin").
 */
const USERNAME_MAX = 64;
const EMAIL_MAX = 254;

export type Checked = { ok: true; display: string; key: string } | { ok: false; problem: string };

const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const USERNAME_CHARS = /^[\p{L}\p{M}\p{N}._@+-]+$/u;

export function checkUsername(raw: string): Checked {
  if (CONTROL_OR_FORMAT.test(raw))
    return { ok: false, problem: 'username must not contain control or invisible characters' };
  const display = raw.normalize('NFKC').trim();
  const key = display.toLowerCase().normalize('NFKC');
  const len = [...display].length;
  if (len < 3) return { ok: false, problem: 'username must be at least 3 characters' };
  if (len > USERNAME_MAX)
    return { ok: false, problem: `username must be at most ${USERNAME_MAX} characters` };
  if (!USERNAME_CHARS.test(display))
    return { ok: false, problem: 'username may contain letters, digits and . _ @ + - only' };
  const latin = /\p{Script=Latin}/u.test(display);
  if (latin && /[\p{Script=Cyrillic}\p{Script=Greek}]/u.test(display)) {
    return { ok: false, problem: 'username must not mix Latin with Cyrillic or Greek letters' };
  }
  return { ok: true, display, key };
}

export function checkEmail(raw: string): Checked {
  if (CONTROL_OR_FORMAT.test(raw))
    return { ok: false, problem: 'email must not contain control or invisible characters' };
  const display = raw.normalize('NFKC').trim();
  if (display.length > EMAIL_MAX)
    return { ok: false, problem: `email must be at most ${EMAIL_MAX} characters` };
  // Deliberately simple (WHATWG's input[type=email] rule): one @, no spaces, a dot-free local part is fine.
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(display))
    return { ok: false, problem: 'email is not a valid address' };
  return { ok: true, display, key: display.toLowerCase() };
}

export function checkPhone(raw: string): Checked {
  const display = raw.normalize('NFKC').trim();
  if (!/^\+?[0-9 ()-]{5,32}$/.test(display))
    return {
      ok: false,
      problem: 'phoneNumber must be digits, optionally with +, spaces, dashes or parentheses',
    };
  return { ok: true, display, key: display.replace(/[^0-9+]/g, '') };
}
