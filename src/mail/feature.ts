import { ConfigError } from '../config/load.js';
import type { Feature } from '../feature/contract.js';
import { MAIL_FIELDS } from './config.js';
import { up } from './migration.js';
import { createOutbox } from './outbox.js';
import { outboxRoutes } from './routes.js';
import { createMailQueue, type MailQueue } from './service.js';
import { createSmtpTransport } from './transport.js';

declare module '../feature/contract.js' {
  interface FeatureServices {
    /** The mail queue's own handle: draining and purging (the feature's jobs, tests). */
    mailQueue: MailQueue;
  }
}

const DAY = 86_400_000;

/**
 * Mail (password reset, e-mail verification, notices): templates in en and
 * zh-CN, a queue of rows in SQL delivered over SMTP with retries, or an
 * outbox read through the admin API when no SMTP server is configured.
 */
export const mailFeature: Feature = {
  name: 'mail',
  config: MAIL_FIELDS,
  permissions: ['mail:read'],
  migrations: { '0007_mail': { up } },
  async start({ core }) {
    const { config, log } = core;
    if (config.smtpUrl && !config.mailFrom)
      throw new ConfigError(
        'TESSERA_MAIL_FROM: required when TESSERA_SMTP_URL is set (example: TESSERA_MAIL_FROM=Tessera <no-reply@example.com>)',
      );
    if (!config.smtpUrl && config.production)
      log.warn(
        'TESSERA_SMTP_URL is not set: mails are kept in the outbox (GET /api/admin/outbox) and never sent',
      );
    const transport =
      config.smtpUrl && config.mailFrom
        ? createSmtpTransport({
            url: config.smtpUrl,
            from: config.mailFrom,
            timeoutMs: config.smtpTimeoutMs,
          })
        : undefined;
    const queue = createMailQueue({
      sql: core.sql,
      dialect: core.db.dialect,
      clock: core.clock,
      sealer: core.sealer,
      log: log.child({ mod: 'mail' }),
      report: core.report,
      registry: core.metrics.registry,
      transport,
      attempts: config.mailAttempts,
      retryBaseMs: config.mailRetryBaseSeconds * 1000,
      // Longer than the longest delivery (4 × the timeout, see transport.ts).
      leaseMs: config.smtpTimeoutMs * 5 + 30_000,
      maxHeld: config.mailQueueMax,
      retentionMs: () => config.mailRetentionDays * DAY,
    });
    await queue.start();
    const outbox = createOutbox(core.sql, core.sealer);
    return {
      provides: { mail: queue, mailQueue: queue },
      routes: () => [{ api: outboxRoutes(outbox) }],
      jobs: [
        { name: 'mail-deliver', everyMs: 15_000, run: () => queue.drain() },
        { name: 'mail-purge', everyMs: 3_600_000, run: () => queue.purge() },
      ],
      stop: () => queue.stop(),
    };
  },
};
