import { errorDef, MESSAGES, type ErrorCode, type Locale, type MessageKey } from './errors.js';

/**
 * Picks `zh` when the client's Accept-Language prefers Chinese over English,
 * else the configured default. Parsing is bounded: only the first 10 entries count.
 */
export function pickLocale(acceptLanguage: string | undefined, fallback: Locale): Locale {
  if (!acceptLanguage) return fallback;
  let best: Locale = fallback;
  let bestQ = -1;
  for (const part of acceptLanguage.slice(0, 256).split(',').slice(0, 10)) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const q = qParam ? Number(qParam.trim().slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    const lang: Locale | null = tag.startsWith('zh') ? 'zh' : tag.startsWith('en') ? 'en' : null;
    if (lang && q > bestQ) {
      best = lang;
      bestQ = q;
    }
  }
  return best;
}

/** `CODE: text` — seed-001 clients search the message for the code. */
export function errorMessage(code: ErrorCode, locale: Locale, detail?: string): string {
  const base = `${code}: ${errorDef(code)[locale]}`;
  return detail ? `${base} (${detail})` : base;
}

export function successMessage(key: MessageKey, locale: Locale): string {
  return MESSAGES[key][locale];
}
