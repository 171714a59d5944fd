import type { Unit } from '../db/unit.js';
import type { TenantId } from '../db/scope.js';

/** The templates of src/mail/templates/, and the variables each needs. */
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
  /**
   * Queues one mail for `tenant`. With `unit`, the row is written in the caller's transaction (the mail
   * exists if and only if the change that caused it committed) and delivery starts after commit.
   * Returns the mail id. Never throws for SMTP problems (delivery is asynchronous and retried).
   */
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
