/** Without SMTP, mails go to the outbox: GET /api/admin/outbox, per tenant, newest first. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenantId, DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import { need } from '../feature/contract.js';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const PW = 'a-strong-passphrase';
const ACME = asTenantId('acme')!;

describe.each(dialects())('the outbox (%s)', (dialect) => {
  const clock = new ManualClock();
  let t: TestServer;
  let root: string;
  let acmeAdmin: string;
  const reset = (tenant: TenantId, to: string, token: string) =>
    need(t.rt.features, 'mail').enqueue(tenant, {
      to,
      template: 'password-reset',
      locale: 'en',
      vars: {
        username: 'ann',
        link: `https://auth.example.com/login/reset?token=${token}`,
        minutes: '30',
      },
    });
  const outbox = (query: string, token?: string, headers: Record<string, string> = {}) =>
    t.call('GET', `/api/admin/outbox${query}`, { ...(token ? { token } : {}), headers });

  beforeAll(async () => {
    t = await createTestServer({
      dialect,
      clock,
      // No verification mail for the users registered here: the test counts the mails it queued.
      config: { masterKey: Buffer.alloc(32, 9).toString('base64'), emailVerification: 'off' },
    });
    root = await t.adminToken();
    const r = await t.call('POST', '/api/admin/tenants', {
      token: root,
      body: { id: ACME, name: 'Acme', admin_username: 'acme-admin', admin_password: PW },
    });
    expect(r.statusCode, r.body).toBe(201);
    acmeAdmin = (
      await t.call('POST', '/api/public/auth/login', {
        body: { username: 'acme-admin', password: PW },
        headers: { 'x-tessera-tenant': ACME },
      })
    ).data.data.access_token;
    await reset(DEFAULT_TENANT, 'Ann@Example.com', 'first');
    await reset(DEFAULT_TENANT, 'bob@example.com', 'second');
    clock.advance(1000);
    await reset(DEFAULT_TENANT, 'ann@example.com', 'third');
    await reset(ACME, 'ann@example.com', 'acme-only');
  });
  afterAll(() => t?.close());

  it('lists the mails with their text and HTML, newest first, in the contract shape', async () => {
    const r = await outbox('', root);
    expect(r.statusCode, r.body).toBe(200);
    const items = r.data.data.items as Record<string, unknown>[];
    expect(items.map((i) => String(i.text).match(/token=(\w+)/)?.[1])).toEqual([
      'third',
      'second',
      'first',
    ]);
    expect(Object.keys(items[0]!).sort()).toEqual([
      'created_at',
      'html',
      'id',
      'subject',
      'text',
      'to',
    ]);
    expect(items[0]).toMatchObject({
      to: 'ann@example.com',
      subject: 'Reset your password',
      created_at: clock.now(),
    });
    expect(items[0]!.html).toContain('href="https://auth.example.com/login/reset?token=third"');
    expect(items[2]!.to).toBe('Ann@Example.com');
  });

  it('filters by recipient without regard to case, and bounds the page', async () => {
    const r = await outbox('?to=ANN@example.com', root);
    expect((r.data.data.items as { to: string }[]).map((i) => i.to)).toEqual([
      'ann@example.com',
      'Ann@Example.com',
    ]);
    expect((await outbox('?limit=1', root)).data.data.items).toHaveLength(1);
    expect((await outbox('?to=nobody@example.com', root)).data.data.items).toEqual([]);
    for (const q of ['?limit=0', '?limit=201', '?limit=abc', '?to=', `?to=${'a'.repeat(400)}`])
      expect((await outbox(q, root)).statusCode, q).toBe(400);
  });

  it("keeps tenants apart: each tenant's admin sees its own mails only", async () => {
    const acme = await outbox('', acmeAdmin, { 'x-tessera-tenant': ACME });
    expect(acme.statusCode, acme.body).toBe(200);
    expect(
      (acme.data.data.items as { text: string }[]).map((i) => i.text.match(/token=([\w-]+)/)?.[1]),
    ).toEqual(['acme-only']);
    // Acme's admin token is nothing in the default tenant, and the other way round.
    expect((await outbox('', acmeAdmin)).statusCode).toBe(401);
    expect((await outbox('', root, { 'x-tessera-tenant': ACME })).statusCode).toBe(401);
  });

  it('needs mail:read: 401 without a token, 403 for a user without the permission', async () => {
    expect((await outbox('')).statusCode).toBe(401);
    await t.register('plain');
    const user = (await t.login('plain')).access_token;
    const r = await outbox('', user);
    expect(r.statusCode).toBe(403);
    expect(r.data.error).toBe('FORBIDDEN');
  });

  it('stores the bodies sealed: the token is not in the database', async () => {
    const rows = await t.rt.sql
      .all('test reads raw rows')
      .selectFrom('mail_queue')
      .select(['body', 'status'])
      .execute();
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r.status).toBe('outbox');
      expect(r.body).toMatch(/^tsl1:/);
      expect(r.body).not.toMatch(/third|second|first|acme-only/);
    }
  });

  it('a body this node cannot open shows empty, and the page still answers', async () => {
    const { id } = (await outbox('?limit=1', root)).data.data.items[0] as { id: string };
    await t.rt.sql
      .scope(DEFAULT_TENANT)
      .updateTable('mail_queue')
      .set({ body: 'tsl1:unknownkey:aaaa:bbbb:cccc' })
      .where('id', '=', id)
      .execute();
    const r = await outbox('?limit=1', root);
    expect(r.statusCode).toBe(200);
    expect(r.data.data.items[0]).toMatchObject({ id, text: '', html: '' });
  });

  it('is in the OpenAPI document with its errors', async () => {
    const doc = (await t.call('GET', '/openapi.json')).data;
    const op = doc.paths['/api/admin/outbox'].get;
    expect(Object.keys(op.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '500',
      '503',
    ]);
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['limit', 'to']);
  });
});

describe('the queue cap', () => {
  it('beyond TESSERA_MAIL_QUEUE_MAX, mails are dropped and counted; the caller sees no difference', async () => {
    const t = await createTestServer({ config: { mailQueueMax: 10 } });
    try {
      const mail = need(t.rt.features, 'mail');
      const ids: string[] = [];
      for (let i = 0; i < 12; i++)
        ids.push(
          await mail.enqueue(DEFAULT_TENANT, {
            to: `u${i}@example.com`,
            template: 'password-changed',
            locale: null,
            vars: { username: 'u', at: 'now', ip: '203.0.113.1' },
          }),
        );
      expect(new Set(ids).size).toBe(12);
      const admin = await t.adminToken();
      const items = (await t.call('GET', '/api/admin/outbox?limit=200', { token: admin })).data.data
        .items as unknown[];
      expect(items).toHaveLength(10);
      const dropped = await t.rt.metrics.registry
        .getSingleMetric('tessera_mail_dropped_total')
        ?.get();
      expect(dropped?.values[0]?.value).toBe(2);
    } finally {
      await t.close();
    }
  });
});
