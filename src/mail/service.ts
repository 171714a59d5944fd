import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { rescope, type TenantId, type TenantSql } from '../db/scope.js';
import type { Dialect } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import type { Sealer } from '../lib/seal.js';
import { mailLocale } from './locale.js';
import { createQueueStore, insertMail, type ClaimedMail, type MailStatus } from './store.js';
import { renderMail } from './templates/render.js';
import type { Transport } from './transport.js';
import { DeliveryError } from './transport.js';
import type { Mailer } from './types.js';

const HOUR = 3_600_000;
const BATCH = 20;
const PARALLEL = 4;

/** The additional data a mail's sealed body is bound to (decision 0011). */
export const bodyAad = (id: string) => `mail_queue:${id}`;

/** A recipient nodemailer can take: one address, one line, no list. */
const ADDRESS = /^[^\s@<>,;"]{1,64}@[^\s@<>,;"]{1,255}$/;

export interface MailQueueOptions {
  sql: TenantSql;
  dialect: Dialect;
  clock: Clock;
  sealer: Sealer;
  log: Pick<Logger, 'warn' | 'info'>;
  report: (err: unknown, what: string) => void;
  registry: Registry;
  /** No transport: every mail goes to the outbox. */
  transport: Transport | undefined;
  attempts: number;
  retryBaseMs: number;
  /** How long a claimed row is this node's (longer than one delivery can take). */
  leaseMs: number;
  maxHeld: number;
  retentionMs: () => number;
}

/** The mailer plus what the feature's jobs, its shutdown and its tests drive. */
export interface MailQueue extends Mailer {
  /** Sends every due row (all tenants), batch after batch; one run at a time per node. */
  drain(): Promise<void>;
  /** Deletes sent, failed and outbox rows past the retention; refreshes the depth. */
  purge(): Promise<number>;
  /** Resolves when no drain runs (tests, shutdown). */
  idle(): Promise<void>;
  /** Counts what is held (the cap, the gauges) and sends what is due. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The mail queue: rows in SQL, written in the caller's transaction when it
 * gives one, delivered off the request path by every node (a claim with a
 * lease, see store.ts), retried with exponential backoff and jitter on
 * transient failures, failed at once on a permanent refusal.
 */
export function createMailQueue(o: MailQueueOptions): MailQueue {
  const store = createQueueStore(o.sql.all('delivery and retention cover every tenant'), o.dialect);
  const depth = new Gauge({
    name: 'tessera_mail_queue_depth',
    help: 'Mails waiting to be sent (pending, retries included), all tenants',
    registers: [o.registry],
  });
  const outboxDepth = new Gauge({
    name: 'tessera_mail_outbox_depth',
    help: 'Mails kept in the outbox (no SMTP configured), all tenants',
    registers: [o.registry],
  });
  const counter = (name: string, help: string) =>
    new Counter({ name, help, registers: [o.registry] });
  const sentTotal = counter('tessera_mail_sent_total', 'Mails the SMTP server accepted');
  const failedTotal = counter(
    'tessera_mail_failed_total',
    'Mails given up on: refused (5xx) or out of attempts',
  );
  const retriedTotal = counter(
    'tessera_mail_retried_total',
    'Deliveries that failed transiently (4xx, timeout, dropped connection) and will be retried',
  );
  const droppedTotal = counter(
    'tessera_mail_dropped_total',
    'Mails not queued because the queue was full (TESSERA_MAIL_QUEUE_MAX)',
  );

  // Rows held (pending + outbox), as last counted plus what this node queued since: the cap
  // is a safety valve against floods, so an estimate that costs no query per mail is enough.
  let held = 0;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let lastDropWarning = 0;

  async function recount(): Promise<void> {
    const h = await store.held();
    held = h.pending + h.outbox;
    depth.set(h.pending);
    outboxDepth.set(h.outbox);
  }

  function backoff(attempt: number): number {
    const full = Math.min(o.retryBaseMs * 2 ** (attempt - 1), HOUR);
    // Equal jitter: between half the delay and all of it, so nodes retrying together spread out.
    return Math.round(full / 2 + (Math.random() * full) / 2);
  }

  async function deliver(m: ClaimedMail, lease: number): Promise<void> {
    const t = o.transport!;
    let body: { text: string; html: string } | undefined;
    try {
      body =
        m.body === null
          ? undefined
          : (JSON.parse(o.sealer.open(m.body, bodyAad(m.id))) as { text: string; html: string });
    } catch (e) {
      o.report(e, 'mail body');
    }
    if (!body) {
      failedTotal.inc();
      await store.failed(m.id, lease, 'the body cannot be read (master key?)');
      return;
    }
    try {
      await t.send({ id: m.id, to: m.to_addr, subject: m.subject, ...body });
      sentTotal.inc();
      await store.sent(m.id, lease, o.clock.now());
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError('ERROR: send failed', false);
      if (e.permanent || m.attempts >= o.attempts) {
        failedTotal.inc();
        o.log.warn({ mail: m.id, attempts: m.attempts, error: e.summary }, 'mail delivery failed');
        await store.failed(m.id, lease, e.summary);
      } else {
        retriedTotal.inc();
        await store.retry(m.id, lease, o.clock.now() + backoff(m.attempts), e.summary);
      }
    }
  }

  async function drainAll(): Promise<void> {
    for (;;) {
      const now = o.clock.now();
      const lease = now + o.leaseMs;
      const batch = await store.claimDue(now, lease, BATCH);
      for (let i = 0; i < batch.length; i += PARALLEL)
        await Promise.all(batch.slice(i, i + PARALLEL).map((m) => deliver(m, lease)));
      if (batch.length < BATCH || stopped) break;
    }
    await recount();
  }

  function drain(): Promise<void> {
    if (!o.transport || stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await drainAll();
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  /** Soon after a commit, without waiting for the job's interval; failures are the job's to retry. */
  const kick = () => {
    drain().catch((e: unknown) => o.report(e, 'mail delivery'));
  };

  return {
    async enqueue(tenant: TenantId, mail, unit) {
      const id = randomUUID();
      if (held >= o.maxHeld) {
        // The caller answers as it would have: nothing tells whether a mail was due.
        droppedTotal.inc();
        const now = o.clock.now();
        if (now - lastDropWarning > 60_000) {
          lastDropWarning = now;
          o.log.warn({ max: o.maxHeld }, 'mail queue full: new mails are dropped');
        }
        return id;
      }
      const locale = mailLocale(mail.locale);
      const r = renderMail(mail.template, locale, mail.vars);
      const now = o.clock.now();
      const valid = ADDRESS.test(mail.to);
      const status: MailStatus = !valid ? 'failed' : o.transport ? 'pending' : 'outbox';
      const q = unit ? rescope(unit.tx, tenant) : o.sql.scope(tenant);
      await insertMail(q, {
        id,
        to_addr: mail.to.slice(0, 320),
        to_key: mail.to.slice(0, 320).toLowerCase(),
        template: mail.template,
        locale,
        subject: r.subject,
        body: valid
          ? o.sealer.seal(JSON.stringify({ text: r.text, html: r.html }), bodyAad(id))
          : null,
        status,
        attempts: 0,
        next_attempt_at: now,
        last_error: valid ? null : 'not a single e-mail address',
        created_at: now,
      });
      if (valid) held++;
      if (status === 'outbox') outboxDepth.inc();
      if (status === 'pending') {
        depth.inc();
        if (unit) unit.afterCommit(kick);
        else kick();
      }
      return id;
    },
    drain,
    async purge() {
      const n = await store.purge(o.clock.now() - o.retentionMs());
      await recount();
      return n;
    },
    idle: async () => {
      while (running) await running.catch(() => undefined);
    },
    async start() {
      await recount();
      // Mails left pending by an earlier run (a restart, another node gone) go out now.
      kick();
    },
    async stop() {
      stopped = true;
      // A delivery in flight ends within its timeouts; past 2 s its row's lease lets a later start finish it.
      await Promise.race([
        running?.catch(() => undefined),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
      o.transport?.close();
    },
  };
}
