/** The locales mail templates exist in. */
export const MAIL_LOCALES = ['en', 'zh-CN'] as const;
export type MailLocale = (typeof MAIL_LOCALES)[number];

/** Which template locale serves a language tag: exact first, then by its primary language. */
function match(tag: string): MailLocale | undefined {
  const t = tag.trim().toLowerCase();
  if (!/^[a-z]{1,8}(?:[-_][a-z0-9]{1,8})*$/.test(t)) return undefined;
  const exact = MAIL_LOCALES.find((l) => l.toLowerCase() === t.replace('_', '-'));
  if (exact) return exact;
  const lang = t.split(/[-_]/)[0];
  if (lang === 'zh') return 'zh-CN';
  if (lang === 'en') return 'en';
  return undefined;
}

/**
 * The template locale for a user's locale or an Accept-Language value
 * (`zh-TW,zh;q=0.9,en;q=0.8`): the tags by weight (ties in order), each
 * matched exactly, then by language prefix (zh, zh-TW, zh-Hant → zh-CN;
 * en-GB → en); nothing matching → en. Bounded: at most 20 tags of 200
 * characters are read.
 */
export function mailLocale(raw: string | null | undefined): MailLocale {
  if (!raw) return 'en';
  const tags = raw
    .slice(0, 200)
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([0-9.]{1,5})\s*$/.exec(p)?.[1]).find((v) => v);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const t of tags) {
    const m = match(t.tag);
    if (m) return m;
  }
  return 'en';
}
