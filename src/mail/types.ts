import type { TenantId } from '../db/scope.js';
import type { Unit } from '../db/unit.js';

export interface MailTemplates {
  'password-reset': { username: string; link: string; minutes: string };
  'email-verification': { username: string; link: string; hours: string };
  'password-changed': { username: string; at: string; ip: string };
}
export type MailTemplateName = keyof MailTemplates;
export interface MailRequest<T extends MailTemplateName = MailTemplateName> {
  to: string;
  template: T;
  /** The user's locale or the request's Accept-Language value; best match of en / zh-CN, else en. */
  locale: string | null | undefined;
  vars: MailTemplates[T];
}
export interface Mailer {
  /** With `unit`, the row is written in the caller's transaction; delivery starts after commit. */
  enqueue<T extends MailTemplateName>(
    tenant: TenantId,
    mail: MailRequest<T>,
    unit?: Unit,
  ): Promise<string>;
}
declare module '../feature/contract.js' {
  interface FeatureServices {
    mail: Mailer;
  }
}
