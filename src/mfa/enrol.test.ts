/**
 * TOTP enrolment (issue 13 item 1): behind the password, pending until a
 * first code, the URI and the SVG QR code, the recovery codes, turning it
 * off, and the secret sealed at rest.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resealAll } from '../infra/sealing.js';
import { ManualClock } from '../lib/clock.js';
import { createSealer } from '../lib/seal.js';
import { dialects } from '../test-support/db.js';
import { expectError } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { totpCode } from './codes.js';
import { auditRows, enrolled, login, nextStep, PW } from './mfa.test-support.js';

describe.each(dialects())('TOTP enrolment (%s)', (dialect) => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const master = randomBytes(32);

  beforeAll(async () => {
    t = await createTestServer({
      dialect,
      clock,
      config: { masterKey: master.toString('base64') },
    });
  });
  afterAll(() => t?.close());

  it('refuses a wrong password; a pending factor changes nothing until confirmed', async () => {
    await t.register('enid');
    const { access_token: token } = await t.login('enid');
    expectError(
      await t.call('POST', '/api/auth/mfa/totp/enroll', {
        token,
        body: { current_password: 'not-the-password' },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    const e = await t.call('POST', '/api/auth/mfa/totp/enroll', {
      token,
      body: { current_password: PW },
    });
    expect(e.statusCode).toBe(200);
    const { secret, otpauth_uri, qr_svg } = e.data.data;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Tessera:enid');
    expect(uri.searchParams.get('issuer')).toBe('Tessera');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(qr_svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(qr_svg.trim()).toMatch(/<\/svg>$/);

    const st = await t.call('GET', '/api/auth/mfa', { token });
    expect(st.data.data).toMatchObject({
      totp: { enabled: false, pending: true },
      recovery_codes_left: 0,
    });
    // Not active: the password alone still logs in.
    expect((await login(t, 'enid')).statusCode).toBe(200);

    expectError(
      await t.call('POST', '/api/auth/mfa/totp/confirm', { token, body: { code: '000000' } }),
      401,
      'MFA_INVALID',
    );
    const c = await t.call('POST', '/api/auth/mfa/totp/confirm', {
      token,
      body: { code: totpCode(secret, clock.now()) },
    });
    expect(c.statusCode).toBe(200);
    const codes: string[] = c.data.data.recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const r of codes) expect(r).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const on = await t.call('GET', '/api/auth/mfa', { token });
    expect(on.data.data).toMatchObject({
      totp: { enabled: true, pending: false },
      recovery_codes_left: 10,
      methods: ['totp', 'recovery_code'],
    });
    expectError(await login(t, 'enid'), 401, 'MFA_REQUIRED');
    // A second enrolment while one is active is refused.
    expectError(
      await t.call('POST', '/api/auth/mfa/totp/enroll', { token, body: { current_password: PW } }),
      409,
      'MFA_ALREADY_ENROLLED',
    );
    expect((await auditRows(t, 'mfa.confirm')).length).toBeGreaterThan(0);
  });

  it('stores the secret sealed under the master key, the recovery codes hashed', async () => {
    const { secret, recovery } = await enrolled(t, clock, 'sealy');
    const row = await t.rt.db.kysely
      .selectFrom('mfa_totp')
      .innerJoin('users', 'users.id', 'mfa_totp.user_id')
      .select(['mfa_totp.secret', 'mfa_totp.user_id'])
      .where('users.username', '=', 'sealy')
      .executeTakeFirstOrThrow();
    expect(row.secret.startsWith('tsl1:')).toBe(true);
    expect(row.secret).not.toContain(secret);
    // The additional data names the row: the value opens there and nowhere else.
    expect(t.rt.sealer.open(row.secret, `mfa_totp:${row.user_id}`)).toBe(secret);
    expect(() => t.rt.sealer.open(row.secret, `mfa_totp:${row.user_id + 1}`)).toThrow();
    const hashes = await t.rt.db.kysely
      .selectFrom('mfa_recovery_codes')
      .select('code_hash')
      .where('user_id', '=', row.user_id)
      .execute();
    expect(hashes).toHaveLength(10);
    const stored = JSON.stringify(hashes);
    for (const r of recovery) {
      expect(stored).not.toContain(r);
      expect(stored).not.toContain(r.replace(/-/g, ''));
    }
    // `tessera keys reseal` moves it to a new master key, row by row.
    const next = createSealer([randomBytes(32), master]);
    const r = await resealAll(t.rt.sql.all('the test reseals every tenant'), next);
    expect(r.resealed).toBeGreaterThan(0);
    const after = await t.rt.db.kysely
      .selectFrom('mfa_totp')
      .select('secret')
      .where('user_id', '=', row.user_id)
      .executeTakeFirstOrThrow();
    expect(next.isCurrent(after.secret)).toBe(true);
    expect(next.open(after.secret, `mfa_totp:${row.user_id}`)).toBe(secret);
    // No secret or code in the audit trail.
    await t.rt.audit.flush();
    const trail = JSON.stringify(
      await t.rt.db.kysely.selectFrom('audit_events').selectAll().execute(),
    );
    expect(trail).not.toContain(secret);
    for (const r of recovery) expect(trail).not.toContain(r);
  });

  it('every route is in the served OpenAPI document with its error answers', async () => {
    const doc = (await t.call('GET', '/openapi.json')).data;
    const ops: [string, string, string[]][] = [
      ['/api/auth/mfa/totp/enroll', 'post', ['400', '401', '409', '429']],
      ['/api/auth/mfa/totp/confirm', 'post', ['400', '401', '409', '429']],
      ['/api/auth/mfa/totp', 'delete', ['400', '401', '409', '429']],
      ['/api/auth/mfa', 'get', ['401']],
      ['/api/public/auth/mfa/verify', 'post', ['400', '401', '403', '423', '429']],
      ['/api/public/auth/mfa/totp/enroll', 'post', ['400', '401', '409']],
      ['/api/public/auth/mfa/totp/confirm', 'post', ['400', '401', '423', '429']],
      ['/api/admin/users/{id}/mfa', 'delete', ['401', '403', '404', '409']],
    ];
    for (const [path, method, statuses] of ops) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      for (const s of ['200', ...statuses])
        expect(op.responses[s], `${method} ${path} ${s}`).toBeDefined();
    }
  });

  it('turns off behind the password or a code, and raises an alert', async () => {
    const { secret, token } = await enrolled(t, clock, 'offie');
    expectError(
      await t.call('DELETE', '/api/auth/mfa/totp', {
        token,
        body: { current_password: 'wrong-one' },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    expectError(
      await t.call('DELETE', '/api/auth/mfa/totp', { token, body: { code: '123456' } }),
      401,
      'MFA_INVALID',
    );
    const off = await t.call('DELETE', '/api/auth/mfa/totp', {
      token,
      body: { code: totpCode(secret, clock.now()) },
    });
    expect(off.statusCode, off.body).toBe(200);
    expect((await login(t, 'offie')).statusCode).toBe(200);
    expectError(
      await t.call('DELETE', '/api/auth/mfa/totp', { token, body: { current_password: PW } }),
      409,
      'MFA_NOT_ENROLLED',
    );
    nextStep(clock);
    const again = await enrolled(t, clock, 'offie2');
    expect(
      (
        await t.call('DELETE', '/api/auth/mfa/totp', {
          token: again.token,
          body: { current_password: PW },
        })
      ).statusCode,
    ).toBe(200);
    const alerts = await auditRows(t, 'alert.mfa_disabled');
    expect(alerts.length).toBe(2);
    expect(await auditRows(t, 'mfa.disable')).toHaveLength(2);
  });
});
