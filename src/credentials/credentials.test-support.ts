import type { RecordedMail } from '../mail/feature.js';
import type { MailTemplateName, MailTemplates } from '../mail/types.js';
import type { TestServer } from '../test-support/server.js';

/** The mails the node has sent so far (the stand-in mailer's record), oldest first. */
function sentMails(s: TestServer): RecordedMail[] {
  return (s.rt.features.mail as unknown as { sent: RecordedMail[] }).sent;
}

/** Waits until the background work (reset and verification mails) is done. */
export function settle(s: TestServer): Promise<void> {
  return s.rt.features.credentials!.idle();
}

/** Mails of one template to one address, after the background work settled. */
export async function mailsTo<T extends MailTemplateName>(
  s: TestServer,
  to: string,
  template: T,
): Promise<{ tenant: string; locale: string | null | undefined; vars: MailTemplates[T] }[]> {
  await settle(s);
  return sentMails(s)
    .filter((m) => m.mail.to === to && m.mail.template === template)
    .map((m) => ({
      tenant: m.tenant,
      locale: m.mail.locale,
      vars: m.mail.vars as MailTemplates[T],
    }));
}

/** The token of the newest mail of `template` to `to`. */
export async function lastToken(s: TestServer, to: string, template: MailTemplateName) {
  const all = await mailsTo(s, to, template);
  const link = (all.at(-1)?.vars as { link?: string } | undefined)?.link;
  if (!link) throw new Error(`no ${template} mail to ${to}`);
  return new URL(link).searchParams.get('token')!;
}
