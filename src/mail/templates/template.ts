import type { MailLocale } from '../locale.js';

/** One template in one locale: `{{name}}` marks a variable. */
interface Template {
  subject: string;
  text: string;
  /** The body inside the layout's <body>. */
  html: string;
}

/** A template in every mail locale; its variables are those of MailTemplates (src/mail/types.ts). */
export type TemplateSet = Record<MailLocale, Template>;
