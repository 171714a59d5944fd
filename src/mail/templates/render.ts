import type { MailLocale } from '../locale.js';
import type { TemplateSet } from './template.js';
import type { MailTemplateName, MailTemplates } from '../types.js';
import { emailVerification } from './email-verification.js';
import { passwordChanged } from './password-changed.js';
import { passwordReset } from './password-reset.js';

const TEMPLATES: Record<MailTemplateName, TemplateSet> = {
  'password-reset': passwordReset,
  'email-verification': emailVerification,
  'password-changed': passwordChanged,
};

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function fill(body: string, vars: Record<string, string>, escape: (s: string) => string): string {
  return body.replace(/\{\{([a-z]+)\}\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`mail template variable ${name} is missing`);
    return escape(v);
  });
}

/**
 * A mail's subject, text and HTML in `locale`. Every variable is HTML-escaped
 * in the HTML (a username cannot inject markup or a link); the text is plain.
 * Subjects hold no variable, so nothing a user typed reaches a header.
 */
export function renderMail<T extends MailTemplateName>(
  name: T,
  locale: MailLocale,
  vars: MailTemplates[T],
): Rendered {
  const t = TEMPLATES[name][locale];
  const v = vars as unknown as Record<string, string>;
  const lang = locale === 'zh-CN' ? 'zh-CN' : 'en';
  return {
    subject: t.subject,
    text: fill(t.text, v, (s) => s),
    html: `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(t.subject)}</title></head>
<body style="font-family: sans-serif; line-height: 1.5">
${fill(t.html, v, escapeHtml)}
</body></html>`,
  };
}
