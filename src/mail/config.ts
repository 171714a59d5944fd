import { int, type ConfigOf, type Field } from '../config/schema.js';

/** `Name <addr@host>` or `addr@host`, one line, no list. */
const fromAddress = (v: string): string | undefined =>
  /^(?:[^<>\r\n,]*<[^\s<>@,]+@[^\s<>@,]+>|[^\s<>@,]+@[^\s<>@,]+)$/.test(v.trim())
    ? undefined
    : 'must be one address, `addr@host` or `Name <addr@host>`';

/** Mail: the fields this feature adds to the config table. */
export const MAIL_FIELDS = {
  smtpUrl: {
    env: 'TESSERA_SMTP_URL',
    kind: { t: 'url', protocols: ['smtp:', 'smtps:'] },
    default: undefined,
    secret: true,
    example: 'smtps://user:password@smtp.example.com:465',
    doc: 'SMTP server mails are sent through (contract); `smtps://` is TLS from the start, `smtp://` upgrades with STARTTLS when offered. Unset: mails go to the outbox (`GET /api/admin/outbox`) and are never sent.',
  },
  mailFrom: {
    env: 'TESSERA_MAIL_FROM',
    kind: { t: 'string', max: 320, check: fromAddress },
    default: undefined,
    example: 'Tessera <no-reply@example.com>',
    doc: 'The From of every mail (contract); required when TESSERA_SMTP_URL is set.',
  },
  mailAttempts: {
    env: 'TESSERA_MAIL_ATTEMPTS',
    kind: int(1, 20),
    default: 6,
    example: '6',
    doc: 'Delivery attempts of one mail before it is marked failed (a permanent 5xx refusal fails at once).',
  },
  mailRetryBaseSeconds: {
    env: 'TESSERA_MAIL_RETRY_BASE_SECONDS',
    kind: int(1, 3600),
    default: 30,
    example: '30',
    doc: 'Delay before the first retry; doubles with each attempt (with jitter), capped at one hour.',
  },
  smtpTimeoutMs: {
    env: 'TESSERA_SMTP_TIMEOUT_MS',
    kind: int(100, 120_000),
    default: 10_000,
    example: '10000',
    doc: 'Connection, greeting and socket-inactivity timeout of one SMTP delivery: a slow or silent server costs at most about three times this.',
  },
  mailQueueMax: {
    env: 'TESSERA_MAIL_QUEUE_MAX',
    kind: int(10, 10_000_000),
    default: 10_000,
    example: '10000',
    doc: 'Mails waiting (pending, or kept in the outbox) across the deployment beyond which new mails are dropped, logged and counted (`tessera_mail_dropped_total`); the caller is answered as usual.',
  },
  mailRetentionDays: {
    env: 'TESSERA_MAIL_RETENTION_DAYS',
    kind: int(1, 365),
    default: 7,
    example: '7',
    doc: 'Sent, failed and outbox mails are deleted this many days after they were queued.',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof MAIL_FIELDS> {}
}
