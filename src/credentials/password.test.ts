import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, me, uname } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { lastToken, mailsTo } from './credentials.test-support.js';

const PW = 'a-strong-passphrase';
const NEW_PW = 'another-strong-passphrase';

/** Issue 13 item 5, and isolation: a token of tenant A is useless in tenant B. */
describe('password change', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ config: { emailVerification: 'off' } });
  });
  afterAll(() => s?.close());

  it('needs the current password, ends the other sessions, keeps this one, sends a notice', async () => {
    const name = uname('pc');
    const email = `${name}@example.com`;
    await s.register(name, PW, email);
    const a = await s.login(name);
    const b = await s.login(name);
    const change = (current_password: string, new_password = NEW_PW) =>
      s.call('POST', '/api/auth/password', {
        token: b.access_token,
        body: { current_password, new_password },
      });
    expectError(await change('not-the-password'), 401, 'INVALID_CREDENTIALS');
    expectError(await change(PW, 'password123'), 400, 'PASSWORD_WEAK');
    expect(await me(s, a.access_token)).toBe('OK');
    const ok = await change(PW);
    expect(ok.statusCode).toBe(200);
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual([
      'SESSION_ENDED',
      'OK',
    ]);
    expectError(
      await s.call('POST', '/api/public/auth/refresh', {
        body: { refresh_token: a.refresh_token },
      }),
      401,
      'SESSION_ENDED',
    );
    expect((await s.login(name, NEW_PW)).access_token).toBeTruthy();
    const notices = await mailsTo(s, email, 'password-changed');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain(name);
  });

  it('a change voids outstanding reset links', async () => {
    const name = uname('pv');
    const email = `${name}@example.com`;
    await s.register(name, PW, email);
    await s.call('POST', '/api/public/auth/password/forgot', { body: { login: name } });
    const token = await lastToken(s, email, 'password-reset');
    const t = await s.login(name);
    await s.call('POST', '/api/auth/password', {
      token: t.access_token,
      body: { current_password: PW, new_password: NEW_PW },
    });
    expectError(
      await s.call('POST', '/api/public/auth/password/reset', {
        body: { token, new_password: 'a-third-strong-passphrase' },
      }),
      401,
      'TOKEN_INVALID',
    );
  });

  it('a reset token of one tenant is useless in another', async () => {
    const root = await s.adminToken();
    const made = await s.call('POST', '/api/admin/tenants', {
      token: root,
      body: { id: 'kg-cred', name: 'KG', admin_username: 'head', admin_password: PW },
    });
    expect(made.statusCode, made.body).toBe(201);
    const inB = { 'x-tessera-tenant': 'kg-cred' };
    // The same username in both tenants.
    const name = uname('ti');
    await s.register(name, PW, `${name}@example.com`);
    const rb = await s.call('POST', '/api/public/auth/register', {
      body: { username: name, password: PW, email: `${name}@b.example.com` },
      headers: inB,
    });
    expect(rb.statusCode).toBe(201);
    await s.call('POST', '/api/public/auth/password/forgot', { body: { login: name } });
    const tokenA = await lastToken(s, `${name}@example.com`, 'password-reset');
    const inOtherTenant = await s.call('POST', '/api/public/auth/password/reset', {
      body: { token: tokenA, new_password: NEW_PW },
      headers: inB,
    });
    expectError(inOtherTenant, 401, 'TOKEN_INVALID');
    // Neither account changed; the token still works where it belongs.
    const loginB = await s.call('POST', '/api/public/auth/login', {
      body: { username: name, password: PW },
      headers: inB,
    });
    expect(loginB.statusCode).toBe(200);
    // Tenant B's reset mail links to its own tenant, and is in B's outbox only.
    await s.call('POST', '/api/public/auth/password/forgot', {
      body: { login: name },
      headers: inB,
    });
    const bMails = await mailsTo(s, `${name}@b.example.com`, 'password-reset', {
      tenant: 'kg-cred',
      admin: ['head', PW],
    });
    expect(bMails).toHaveLength(1);
    expect(bMails[0]!.link!.searchParams.get('tenant')).toBe('kg-cred');
    expect(await mailsTo(s, `${name}@b.example.com`, 'password-reset')).toHaveLength(0);
    expect(
      (
        await s.call('POST', '/api/public/auth/password/reset', {
          body: { token: tokenA, new_password: NEW_PW },
        })
      ).statusCode,
    ).toBe(200);
  });
});
