/** Pending mails survive a restart: a new app on the same database delivers them, once. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../app/features.js';
import { createServer } from '../app/server.js';
import type { Config } from '../config/schema.js';
import { DEFAULT_TENANT } from '../db/scope.js';
import { need } from '../feature/contract.js';
import { ManualClock } from '../lib/clock.js';
import { dialects, dropSchema } from '../test-support/db.js';
import { pgUrl, uniqueName } from '../test-support/services.js';
import { freePort, startTestSmtp } from './smtp.test-support.js';

describe.each(dialects())('mail queue across a restart (%s)', (dialect) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mail-'));
  const schema = uniqueName('pg').toLowerCase();
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (dialect === 'postgres') await dropSchema(schema);
  });
  const open = (config: Partial<Config>, clock: ManualClock) =>
    createServer(
      loadAppConfig(
        {},
        {
          logLevel: 'silent',
          adminPassword: 'admin-test-password-1',
          rsaKeyPoolSize: 2,
          mailFrom: 'no-reply@example.com',
          smtpTimeoutMs: 300,
          ...(dialect === 'postgres'
            ? { databaseUrl: pgUrl, databaseSchema: schema }
            : { dataDir: dir }),
          ...config,
        },
      ),
      { clock, noHousekeeping: true },
    );

  it('enqueued while the server is down, delivered by the next app once it is up', async () => {
    const port = await freePort();
    const clock = new ManualClock();
    const first = await open({ smtpUrl: `smtp://127.0.0.1:${port}` }, clock);
    const id = await need(first.rt.features, 'mail').enqueue(DEFAULT_TENANT, {
      to: 'later@example.com',
      template: 'email-verification',
      locale: 'zh-CN',
      vars: {
        username: 'li',
        link: 'https://auth.example.com/login/verify?token=abc',
        hours: '24',
      },
    });
    await need(first.rt.features, 'mailQueue').idle();
    const q = first.rt.sql
      .scope(DEFAULT_TENANT)
      .selectFrom('mail_queue')
      .selectAll()
      .where('id', '=', id);
    const pending = await q.executeTakeFirstOrThrow();
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending.last_error).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
    await first.close();

    const smtp = await startTestSmtp(port);
    try {
      clock.advance(60_000);
      const second = await open({ smtpUrl: smtp.url }, clock);
      try {
        // The start sends what is due without waiting for the job.
        await need(second.rt.features, 'mailQueue').idle();
        await need(second.rt.features, 'mailQueue').drain();
        expect(smtp.received.map((m) => [m.to, m.subject])).toEqual([
          ['later@example.com', '验证您的邮箱地址'],
        ]);
        expect(smtp.received[0]!.text).toContain('https://auth.example.com/login/verify?token=abc');
        const sent = await second.rt.sql
          .scope(DEFAULT_TENANT)
          .selectFrom('mail_queue')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        expect(sent).toMatchObject({ status: 'sent', attempts: 2, body: null });
        clock.advance(3_600_000);
        await need(second.rt.features, 'mailQueue').drain();
        expect(smtp.received).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      await smtp.close();
    }
  });

  // Two nodes need a shared database: PostgreSQL only (an embedded SQLite file has one node).
  const twoNodes = dialect === 'postgres' ? [dialect] : [];
  it.each(twoNodes)('two nodes draining together send each mail once (%s)', async () => {
    const smtp = await startTestSmtp();
    const clock = new ManualClock();
    const a = await open({ smtpUrl: smtp.url }, clock);
    const b = await open({ smtpUrl: smtp.url }, clock);
    try {
      smtp.behave({ mode: 'refuse', code: 451 });
      const ids = [];
      for (let i = 0; i < 30; i++)
        ids.push(
          await need(a.rt.features, 'mail').enqueue(DEFAULT_TENANT, {
            to: `n${i}@example.com`,
            template: 'password-changed',
            locale: 'en',
            vars: { username: `n${i}`, at: '2026-01-01 00:00 UTC', ip: '203.0.113.1' },
          }),
        );
      await need(a.rt.features, 'mailQueue').idle();
      expect(smtp.received).toHaveLength(0);
      smtp.behave({ mode: 'ok' });
      clock.advance(60_000);
      await Promise.all([
        need(a.rt.features, 'mailQueue').drain(),
        need(b.rt.features, 'mailQueue').drain(),
      ]);
      expect(smtp.received.map((m) => m.to).sort()).toEqual(
        Array.from({ length: 30 }, (_, i) => `n${i}@example.com`).sort(),
      );
    } finally {
      await a.close();
      await b.close();
      await smtp.close();
    }
  });

  it('TESSERA_SMTP_URL without TESSERA_MAIL_FROM refuses to start, naming the variable', async () => {
    await expect(
      open({ smtpUrl: 'smtp://127.0.0.1:25', mailFrom: undefined }, new ManualClock()),
    ).rejects.toThrow(/TESSERA_MAIL_FROM: required when TESSERA_SMTP_URL is set/);
    expect(() => loadAppConfig({ TESSERA_MAIL_FROM: 'a@b.example, c@d.example' })).toThrow(
      /TESSERA_MAIL_FROM: must be one address/,
    );
    expect(() => loadAppConfig({ TESSERA_SMTP_URL: 'http://mail.example.com' })).toThrow(
      /TESSERA_SMTP_URL: protocol must be one of smtp:, smtps:/,
    );
  });
});
