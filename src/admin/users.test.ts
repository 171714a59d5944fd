import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, expectError, me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

/** Issue 4 admin API: users CRUD, disable, delete, a user's sessions. */
describe.each(dialects())('admin users API (%s)', (dialect) => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  it('list and search with pagination and filters', async () => {
    const tag = `lst${Math.random().toString(36).slice(2, 8)}`;
    for (const [i, type] of ['kefu', 'kefu', 'user', 'user', 'user'].entries())
      await createUser(s, admin, { username: `${tag}n${i}`, user_type: type });
    const page = (q: string) =>
      s.call('GET', `/api/admin/users?search=${tag}${q}`, { token: admin });
    const p1 = await page('&page_size=2');
    expect(p1.data.data).toMatchObject({ total: 5, page: 1, page_size: 2 });
    expect(p1.data.data.items).toHaveLength(2);
    const p3 = await page('&page_size=2&page=3');
    expect(p3.data.data.items).toHaveLength(1);
    const all = [
      ...p1.data.data.items,
      ...(await page('&page_size=2&page=2')).data.data.items,
      ...p3.data.data.items,
    ].map((u: { username: string }) => u.username);
    expect(new Set(all).size).toBe(5);
    expect((await page('&user_type=kefu')).data.data.total).toBe(2);
    expect((await page('&status=disabled')).data.data.total).toBe(0);
    expect(
      (
        await s.call('GET', `/api/admin/users?search=${tag.toUpperCase()}N4`, { token: admin })
      ).data.data.items.map((u: { username: string }) => u.username),
    ).toEqual([`${tag}n4`]);
    expectError(
      await s.call('GET', '/api/admin/users?page_size=1000', { token: admin }),
      400,
      'VALIDATION_FAILED',
    );
    // Wildcards are literal: "_" finds an underscore, not any character; "%" is not "everything".
    await createUser(s, admin, { username: `${tag}_x1` });
    await createUser(s, admin, { username: `${tag}ax1` });
    const under = await s.call('GET', `/api/admin/users?search=${tag}_x`, { token: admin });
    expect(under.data.data.items.map((u: { username: string }) => u.username)).toEqual([
      `${tag}_x1`,
    ]);
    expect(
      (await s.call('GET', `/api/admin/users?search=${tag}%25`, { token: admin })).data.data.total,
    ).toBe(0);
  });

  it('create a kefu user; duplicates and bad input are refused', async () => {
    const name = uname('kf');
    const r = await s.call('POST', '/api/admin/users', {
      token: admin,
      body: {
        username: name,
        password: 'a-strong-passphrase',
        user_type: 'kefu',
        display_name: '客服',
        email: `${name}@example.com`,
      },
    });
    expect(r.statusCode).toBe(201);
    expect(r.data.data).toMatchObject({
      username: name,
      user_type: 'kefu',
      status: 'active',
      roles: ['user'],
      display_name: '客服',
    });
    const t = await s.login(name);
    expect(claimsOf(t.access_token)).toMatchObject({ user_type: 'kefu', username: name });
    expect(
      (await s.call('GET', `/api/admin/users/${r.data.data.id}`, { token: admin })).data.data
        .username,
    ).toBe(name);
    expectError(
      await s.call('POST', '/api/admin/users', {
        token: admin,
        body: { username: name, password: 'a-strong-passphrase' },
      }),
      409,
      'USER_EXISTS',
    );
    expectError(
      await s.call('POST', '/api/admin/users', {
        token: admin,
        body: { username: uname('x'), password: 'a-strong-passphrase', user_type: 'Bad Type' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await s.call('POST', '/api/admin/users', {
        token: admin,
        body: { username: uname('x'), password: 'a-strong-passphrase', roles: ['ghost'] },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await s.call('GET', '/api/admin/users/999999', { token: admin }), 404, 'NOT_FOUND');
  });

  it('update profile fields; a user-type change refuses old tokens until refreshed', async () => {
    const name = uname('up');
    const id = await createUser(s, admin, { username: name });
    const t = await s.login(name);
    const r = await s.call('PATCH', `/api/admin/users/${id}`, {
      token: admin,
      body: { display_name: 'New Name', phoneNumber: '+8613800138000' },
    });
    expect(r.data.data).toMatchObject({
      display_name: 'New Name',
      phoneNumber: expect.stringContaining('13800138000'),
    });
    expect(await me(s, t.access_token)).toBe('OK');
    expectError(
      await s.call('PATCH', `/api/admin/users/${id}`, {
        token: admin,
        body: { email: 'not-an-email' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    // A misspelt field is refused, not dropped with a 200.
    expectError(
      await s.call('PATCH', `/api/admin/users/${id}`, {
        token: admin,
        body: { statuss: 'disabled' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expect(
      (
        await s.call('PATCH', `/api/admin/users/${id}`, {
          token: admin,
          body: { user_type: 'kefu' },
        })
      ).data.data.user_type,
    ).toBe('kefu');
    expect(await me(s, t.access_token)).toBe('TOKEN_REVOKED');
    const fresh = (
      await s.call('POST', '/api/public/auth/refresh', { body: { refresh_token: t.refresh_token } })
    ).data.data;
    expect(claimsOf(fresh.access_token).user_type).toBe('kefu');
    expect(await me(s, fresh.access_token)).toBe('OK');
  });

  it('an admin password reset ends every session; the new password works', async () => {
    const name = uname('pw');
    const id = await createUser(s, admin, { username: name });
    const t = await s.login(name);
    expect(
      (
        await s.call('PATCH', `/api/admin/users/${id}`, {
          token: admin,
          body: { password: 'reset-by-the-admin' },
        })
      ).statusCode,
    ).toBe(200);
    expect(await me(s, t.access_token)).toBe('SESSION_ENDED');
    expectError(
      await s.call('POST', '/api/public/auth/login', {
        body: { username: name, password: 'a-strong-passphrase' },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    expect(await me(s, (await s.login(name, 'reset-by-the-admin')).access_token)).toBe('OK');
  });

  it('disable ends sessions; enable allows login again', async () => {
    const name = uname('dis');
    const id = await createUser(s, admin, { username: name });
    const t = await s.login(name);
    const r = await s.call('PATCH', `/api/admin/users/${id}`, {
      token: admin,
      body: { status: 'disabled' },
    });
    expect(r.data.data.status).toBe('disabled');
    expect(await me(s, t.access_token)).toBe('SESSION_ENDED');
    expect(
      (await s.call('GET', `/api/admin/users/${id}/sessions`, { token: admin })).data.data,
    ).toEqual([]);
    await s.call('PATCH', `/api/admin/users/${id}`, { token: admin, body: { status: 'active' } });
    expect(await me(s, (await s.login(name)).access_token)).toBe('OK');
  });

  it("a user's sessions, then delete: sessions end, the user is gone, self-delete refused", async () => {
    const name = uname('del');
    const id = await createUser(s, admin, { username: name });
    const a = await s.login(name, undefined, { device_id: 'phone-1', device_name: 'Phone' });
    const b = await s.login(name);
    const list = await s.call('GET', `/api/admin/users/${id}/sessions`, { token: admin });
    expect(list.data.data).toHaveLength(2);
    expect(
      list.data.data.find((x: { id: string }) => x.id === claimsOf(a.access_token).sid),
    ).toMatchObject({ device_id: 'phone-1', device_name: 'Phone' });
    expect((await s.call('DELETE', `/api/admin/users/${id}`, { token: admin })).statusCode).toBe(
      200,
    );
    expect([await me(s, a.access_token), await me(s, b.access_token)]).toEqual([
      'SESSION_ENDED',
      'SESSION_ENDED',
    ]);
    expectError(await s.call('GET', `/api/admin/users/${id}`, { token: admin }), 404, 'NOT_FOUND');
    expectError(
      await s.call('GET', `/api/admin/users/${id}/sessions`, { token: admin }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await s.call('POST', '/api/public/auth/login', {
        body: { username: name, password: 'a-strong-passphrase' },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    const adminId = Number(claimsOf(admin).sub);
    expectError(
      await s.call('DELETE', `/api/admin/users/${adminId}`, { token: admin }),
      409,
      'CONFLICT',
    );
  });
});
