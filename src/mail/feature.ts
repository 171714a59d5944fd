import { randomUUID } from 'node:crypto';
import type { TenantId } from '../db/scope.js';
import type { Feature } from '../feature/contract.js';
import type { Mailer, MailRequest, MailTemplateName } from './types.js';

/** A mail as the stand-in mailer kept it. */
export interface RecordedMail {
  id: string;
  tenant: TenantId;
  mail: MailRequest;
}

/**
 * TEMPORARY stand-in for the mail feature (being built on its own branch):
 * keeps every mail in memory (after the caller's commit when given a unit)
 * and logs it, so the credentials flows run end to end. Replaced by the
 * real outbox and SMTP feature when it is merged.
 */
export function createRecordingMailer(): Mailer & { sent: RecordedMail[] } {
  const sent: RecordedMail[] = [];
  return {
    sent,
    async enqueue<T extends MailTemplateName>(
      tenant: TenantId,
      mail: MailRequest<T>,
      unit?: Parameters<Mailer['enqueue']>[2],
    ) {
      const id = randomUUID();
      const keep = () => {
        sent.push({ id, tenant, mail: mail as MailRequest });
        if (sent.length > 1000) sent.shift();
      };
      if (unit) unit.afterCommit(keep);
      else keep();
      return Promise.resolve(id);
    },
  };
}

export const mailFeature: Feature = {
  name: 'mail',
  start() {
    return { provides: { mail: createRecordingMailer() } };
  },
};
