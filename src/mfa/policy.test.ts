/**
 * Who must have a second factor (forced enrolment by role or user type), the
 * admin reset, the factor across two nodes, and tenant isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { createUser, expectError, me } from '../test-support/auth-helpers.js';
import { havePostgres } from '../test-support/services.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { totpCode } from './codes.js';
import { auditRows, enrolled, login, nextStep, PW } from './mfa.test-support.js';

describe.each(dialects())('second-factor policy (%s)', (dialect) => {
  let t: TestServer;
  let admin: string;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));

  beforeAll(async () => {
    t = await createTestServer({ dialect, clock });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it('a required user type is made to enrol at the next login, which then completes', async () => {
    const s = await t.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { mfaRequiredUserTypes: 'kefu, ops' },
    });
    expect(s.statusCode, s.body).toBe(200);
    await createUser(t, admin, { username: 'forced', user_type: 'kefu' });
    const r = await login(t, 'forced');
    expectError(r, 401, 'MFA_ENROLL_REQUIRED');
    expect(r.data.data).toMatchObject({ methods: ['totp'], expires_in: 300 });
    const ticket = r.data.data.mfa_ticket as string;
    // The enrolment ticket is no login ticket.
    expectError(
      await t.call('POST', '/api/public/auth/mfa/verify', {
        body: { mfa_ticket: ticket, code: '123456' },
      }),
      401,
      'MFA_TICKET_INVALID',
    );
    const e = await t.call('POST', '/api/public/auth/mfa/totp/enroll', {
      body: { mfa_ticket: ticket },
    });
    expect(e.statusCode, e.body).toBe(200);
    const secret = e.data.data.secret as string;
    expectError(
      await t.call('POST', '/api/public/auth/mfa/totp/confirm', {
        body: { mfa_ticket: ticket, code: '000000' },
      }),
      401,
      'MFA_INVALID',
    );
    const c = await t.call('POST', '/api/public/auth/mfa/totp/confirm', {
      body: { mfa_ticket: ticket, code: totpCode(secret, clock.now()) },
    });
    expect(c.statusCode, c.body).toBe(200);
    expect(c.data.data.recovery_codes).toHaveLength(10);
    expect(await me(t, c.data.data.access_token)).toBe('OK');
    // Used up; the next login asks for the factor.
    expectError(
      await t.call('POST', '/api/public/auth/mfa/totp/enroll', { body: { mfa_ticket: ticket } }),
      401,
      'MFA_TICKET_INVALID',
    );
    expectError(await login(t, 'forced'), 401, 'MFA_REQUIRED');
    // Other user types are not concerned.
    await createUser(t, admin, { username: 'free', user_type: 'customer' });
    expect((await login(t, 'free')).statusCode).toBe(200);
    await t.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { mfaRequiredUserTypes: '' },
    });
  });

  it('a required role is made to enrol too', async () => {
    await t.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { mfaRequiredRoles: 'auditor' },
    });
    const role = await t.call('PUT', '/api/admin/roles/auditor', {
      token: admin,
      body: { level: 10, permissions: [] },
    });
    expect(role.statusCode, role.body).toBe(200);
    await createUser(t, admin, { username: 'audrey', roles: ['user', 'auditor'] });
    expectError(await login(t, 'audrey'), 401, 'MFA_ENROLL_REQUIRED');
    await createUser(t, admin, { username: 'plain', roles: ['user'] });
    expect((await login(t, 'plain')).statusCode).toBe(200);
    await t.call('PATCH', '/api/admin/settings', { token: admin, body: { mfaRequiredRoles: '' } });
  });

  it('an admin resets a factor: audited, alerted; 403 without the permission', async () => {
    await enrolled(t, clock, 'lostphone');
    const id = (await t.rt.users.byLoginName('lostphone'))!.id;
    await t.register('nosy');
    const nosy = (await t.login('nosy')).access_token;
    expectError(
      await t.call('DELETE', `/api/admin/users/${id}/mfa`, { token: nosy }),
      403,
      'FORBIDDEN',
    );
    expectError(await login(t, 'lostphone'), 401, 'MFA_REQUIRED');
    const r = await t.call('DELETE', `/api/admin/users/${id}/mfa`, { token: admin });
    expect(r.statusCode, r.body).toBe(200);
    expect((await login(t, 'lostphone')).statusCode).toBe(200);
    expectError(
      await t.call('DELETE', `/api/admin/users/${id}/mfa`, { token: admin }),
      409,
      'MFA_NOT_ENROLLED',
    );
    expectError(
      await t.call('DELETE', '/api/admin/users/999999/mfa', { token: admin }),
      404,
      'NOT_FOUND',
    );
    const rows = await auditRows(t, 'mfa.reset');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: id });
    expect(rows[0]!.actor_id).toBeGreaterThan(0);
    const alerts = (await auditRows(t, 'alert.mfa_disabled')).filter((a) => a.user_id === id);
    expect(alerts).toHaveLength(1);
  });

  it("tenant isolation: a tenant's tickets, factors and resets stay in it", async () => {
    for (const id of ['ta', 'tb']) {
      const r = await t.call('POST', '/api/admin/tenants', {
        token: admin,
        body: { id, name: id, admin_username: `admin-${id}`, admin_password: PW },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    const inT = (tenant: string) => ({ 'x-tessera-tenant': tenant });
    const reg = await t.call('POST', '/api/public/auth/register', {
      headers: inT('ta'),
      body: { username: 'tina', email: 'tina@example.com', password: PW },
    });
    expect(reg.statusCode).toBe(201);
    const tok = (
      await t.call('POST', '/api/public/auth/login', {
        headers: inT('ta'),
        body: { username: 'tina', password: PW },
      })
    ).data.data.access_token;
    const e = await t.call('POST', '/api/auth/mfa/totp/enroll', {
      headers: inT('ta'),
      token: tok,
      body: { current_password: PW },
    });
    expect(e.statusCode).toBe(200);
    expect(decodeURIComponent(new URL(e.data.data.otpauth_uri).pathname)).toBe(
      '/Tessera (ta):tina',
    );
    const c = await t.call('POST', '/api/auth/mfa/totp/confirm', {
      headers: inT('ta'),
      token: tok,
      body: { code: totpCode(e.data.data.secret, clock.now()) },
    });
    expect(c.statusCode).toBe(200);
    nextStep(clock);
    const r = await t.call('POST', '/api/public/auth/login', {
      headers: inT('ta'),
      body: { username: 'tina', password: PW },
    });
    expectError(r, 401, 'MFA_REQUIRED');
    const code = totpCode(e.data.data.secret, clock.now());
    // Tenant A's ticket is nothing in tenant B, nor in the default tenant.
    for (const headers of [inT('tb'), {}])
      expectError(
        await t.call('POST', '/api/public/auth/mfa/verify', {
          headers,
          body: { mfa_ticket: r.data.data.mfa_ticket, code },
        }),
        401,
        'MFA_TICKET_INVALID',
      );
    // B's admin cannot reset A's user.
    const adminB = (
      await t.call('POST', '/api/public/auth/login', {
        headers: inT('tb'),
        body: { username: 'admin-tb', password: PW },
      })
    ).data.data.access_token;
    const tinaId = JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString()).sub;
    expectError(
      await t.call('DELETE', `/api/admin/users/${tinaId}/mfa`, {
        headers: inT('tb'),
        token: adminB,
      }),
      404,
      'NOT_FOUND',
    );
    const v = await t.call('POST', '/api/public/auth/mfa/verify', {
      headers: inT('ta'),
      body: { mfa_ticket: r.data.data.mfa_ticket, code },
    });
    expect(v.statusCode, v.body).toBe(200);
    const rows = await t.rt.db.kysely
      .selectFrom('mfa_totp')
      .select('tenant_id' as never)
      .where('user_id', '=', Number(tinaId))
      .execute();
    expect(rows).toEqual([{ tenant_id: 'ta' }]);
  });
});

describe.runIf(havePostgres())('a used code is refused by every node (PostgreSQL)', () => {
  let a: TestServer;
  let b: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  beforeAll(async () => {
    a = await createTestServer({ dialect: 'postgres', clock });
    b = await createTestServer({ dialect: 'postgres', clock, join: a.shared });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('node B refuses the code node A accepted, and answers A’s ticket', async () => {
    const { secret } = await enrolled(a, clock, 'nodal');
    const code = totpCode(secret, clock.now());
    expect((await login(a, 'nodal', { mfa_code: code })).statusCode).toBe(200);
    expectError(await login(b, 'nodal', { mfa_code: code }), 401, 'MFA_CODE_REUSED');
    nextStep(clock);
    const ticket = (await login(a, 'nodal')).data.data.mfa_ticket;
    const v = await b.call('POST', '/api/public/auth/mfa/verify', {
      body: { mfa_ticket: ticket, code: totpCode(secret, clock.now()) },
    });
    expect(v.statusCode, v.body).toBe(200);
  });
});
