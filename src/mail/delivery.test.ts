/** Delivery over a real SMTP server in process: content, refusals, a slow and a dropping server, transactions. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../db/scope.js';
import { inUnit } from '../db/unit.js';
import { need } from '../feature/contract.js';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { startTestSmtp, type TestSmtp } from './smtp.test-support.js';

const FROM = 'Tessera <no-reply@example.com>';
const RESET = (to: string, locale?: string) => ({
  to,
  template: 'password-reset' as const,
  locale,
  vars: {
    username: 'ann',
    link: `https://auth.example.com/login/reset?token=${to}-tok`,
    minutes: '30',
  },
});

describe.each(dialects())('mail delivery over SMTP (%s)', (dialect) => {
  const clock = new ManualClock();
  let smtp: TestSmtp;
  let t: TestServer;
  const mail = () => need(t.rt.features, 'mail');
  const queue = () => need(t.rt.features, 'mailQueue');
  const row = (id: string) =>
    t.rt.sql
      .scope(DEFAULT_TENANT)
      .selectFrom('mail_queue')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  /** Moves past any backoff of `attempt` and sends what is due. */
  const later = async (attempt = 1) => {
    clock.advance(30_000 * 2 ** (attempt - 1) + 1);
    await queue().drain();
  };
  const metric = async (name: string) =>
    (await t.rt.metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestServer({
      dialect,
      clock,
      config: {
        smtpUrl: smtp.url,
        mailFrom: FROM,
        smtpTimeoutMs: 300,
        mailAttempts: 3,
        mailRetryBaseSeconds: 30,
        masterKey: Buffer.alloc(32, 7).toString('base64'),
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
  beforeEach(async () => {
    await queue().idle();
    smtp.behave({ mode: 'ok' });
    smtp.received.length = 0;
  });

  it('delivers From, To, subject, text and HTML, in the recipient locale', async () => {
    const en = await mail().enqueue(DEFAULT_TENANT, RESET('ann@example.com', 'en-GB'));
    const zh = await mail().enqueue(DEFAULT_TENANT, RESET('bo@example.com', 'zh-TW,zh;q=0.9'));
    await queue().idle();
    expect(smtp.received).toHaveLength(2);
    const a = smtp.received.find((m) => m.to === 'ann@example.com')!;
    expect(a.from).toBe('"Tessera" <no-reply@example.com>');
    expect(a.subject).toBe('Reset your password');
    expect(a.text).toContain('https://auth.example.com/login/reset?token=ann@example.com-tok');
    expect(a.html).toContain(
      'href="https://auth.example.com/login/reset?token=ann@example.com-tok"',
    );
    expect(a.messageId).toBe(`<${en}@example.com>`);
    const b = smtp.received.find((m) => m.to === 'bo@example.com')!;
    expect(b.subject).toBe('重置您的密码');
    expect(b.text).toContain('30 分钟后失效');
    const r = await row(zh);
    expect(r).toMatchObject({ status: 'sent', attempts: 1, body: null, locale: 'zh-CN' });
    expect(r.sent_at).toBe(clock.now());
  });

  it('a 5xx refusal fails the mail at once, without retry', async () => {
    smtp.behave({ mode: 'refuse', code: 550 });
    const before = await metric('tessera_mail_failed_total');
    const id = await mail().enqueue(DEFAULT_TENANT, RESET('gone@example.com'));
    await queue().idle();
    await later(1);
    await later(2);
    const r = await row(id);
    expect(r).toMatchObject({ status: 'failed', attempts: 1, body: null });
    expect(r.last_error).toMatch(/550/);
    expect(r.last_error).not.toContain('tok');
    expect(smtp.received).toHaveLength(0);
    expect(await metric('tessera_mail_failed_total')).toBe(before + 1);
  });

  it('a 4xx refusal is retried after a backoff, then delivered', async () => {
    smtp.behave({ mode: 'refuse', code: 451 });
    const retried = await metric('tessera_mail_retried_total');
    const id = await mail().enqueue(DEFAULT_TENANT, RESET('busy@example.com'));
    await queue().idle();
    let r = await row(id);
    expect(r).toMatchObject({ status: 'pending', attempts: 1 });
    expect(r.last_error).toMatch(/451/);
    // Not before its time.
    expect(r.next_attempt_at).toBeGreaterThanOrEqual(clock.now() + 15_000);
    expect(r.next_attempt_at).toBeLessThanOrEqual(clock.now() + 30_000);
    await queue().drain();
    expect((await row(id)).attempts).toBe(1);
    smtp.behave({ mode: 'ok' });
    await later(1);
    r = await row(id);
    expect(r).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received.map((m) => m.to)).toEqual(['busy@example.com']);
    expect(await metric('tessera_mail_retried_total')).toBe(retried + 1);
  });

  it('gives up after the configured attempts on transient failures', async () => {
    smtp.behave({ mode: 'refuse', code: 421 });
    const id = await mail().enqueue(DEFAULT_TENANT, RESET('never@example.com'));
    await queue().idle();
    await later(1);
    await later(2);
    await later(3);
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 3, body: null });
  });

  it('a server that never answers times out without hanging, and the mail is retried', async () => {
    smtp.behave({ mode: 'slow' });
    const started = Date.now();
    const id = await mail().enqueue(DEFAULT_TENANT, RESET('slow@example.com'));
    expect(Date.now() - started).toBeLessThan(200);
    await queue().idle();
    expect(Date.now() - started).toBeLessThan(3_000);
    const r = await row(id);
    expect(r).toMatchObject({ status: 'pending', attempts: 1 });
    expect(r.last_error).toMatch(/ETIMEDOUT|timeout/i);
    smtp.behave({ mode: 'ok' });
    await later(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received).toHaveLength(1);
  });

  it('a dropped connection is retried, and the mail delivered once the server behaves', async () => {
    smtp.behave({ mode: 'drop' });
    const id = await mail().enqueue(DEFAULT_TENANT, RESET('drop@example.com'));
    await queue().idle();
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1 });
    await later(1);
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 2 });
    smtp.behave({ mode: 'ok' });
    await later(2);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 3 });
    expect(smtp.received.map((m) => m.to)).toEqual(['drop@example.com']);
  });

  it('inside a unit: nothing is written or sent if it rolls back; sent after commit otherwise', async () => {
    const db = t.rt.sql.scope(DEFAULT_TENANT);
    let rolledBack = '';
    await expect(
      inUnit(db, async (u) => {
        rolledBack = await mail().enqueue(DEFAULT_TENANT, RESET('rollback@example.com'), u);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    let committed = '';
    await inUnit(db, async (u) => {
      committed = await mail().enqueue(DEFAULT_TENANT, RESET('commit@example.com'), u);
      // Not before the commit.
      await new Promise((r) => setTimeout(r, 50));
      expect(smtp.received).toHaveLength(0);
    });
    await queue().idle();
    await later(1);
    expect(
      await db.selectFrom('mail_queue').select('id').where('id', '=', rolledBack).execute(),
    ).toEqual([]);
    expect(await row(committed)).toMatchObject({ status: 'sent' });
    expect(smtp.received.map((m) => m.to)).toEqual(['commit@example.com']);
  });

  it('the body waits sealed; bad addresses fail at once; the depth gauge counts pending mails', async () => {
    smtp.behave({ mode: 'refuse', code: 451 });
    const id = await mail().enqueue(DEFAULT_TENANT, RESET('sealed@example.com'));
    await queue().idle();
    const r = await row(id);
    expect(r.body).toMatch(/^tsl1:/);
    expect(r.body).not.toContain('tok');
    expect(await metric('tessera_mail_queue_depth')).toBeGreaterThanOrEqual(1);
    const bad = await mail().enqueue(DEFAULT_TENANT, RESET('a@b.example, c@d.example'));
    expect(await row(bad)).toMatchObject({ status: 'failed', body: null });
    smtp.behave({ mode: 'ok' });
    await later(1);
    expect(await metric('tessera_mail_queue_depth')).toBe(0);
  });

  it('sent and failed rows are purged after the retention', async () => {
    const id = await mail().enqueue(DEFAULT_TENANT, RESET('old@example.com'));
    await queue().idle();
    expect(await row(id)).toMatchObject({ status: 'sent' });
    clock.advance(6 * 86_400_000);
    await queue().purge();
    expect((await row(id)).status).toBe('sent');
    clock.advance(86_400_000 + 1);
    expect(await queue().purge()).toBeGreaterThanOrEqual(1);
    expect(
      await t.rt.sql
        .scope(DEFAULT_TENANT)
        .selectFrom('mail_queue')
        .select('id')
        .where('status', '!=', 'pending')
        .execute(),
    ).toEqual([]);
  });
});
