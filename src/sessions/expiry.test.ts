import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { expectError, me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const sidOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string })
    .sid;
const S = 1000;

/** Issue 4: idle timeout and absolute lifetime, with a manual clock (no sleeping). */
describe.each(dialects())('session expiry (%s)', (dialect) => {
  const clock = new ManualClock(Date.now());
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({
      dialect,
      clock,
      config: {
        sessionIdleTimeout: 1800,
        sessionMaxLifetime: 3600,
        accessTokenTtl: 900,
        lastSeenInterval: 60,
      },
    });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  async function fresh() {
    const name = uname('exp');
    await s.register(name);
    return s.login(name);
  }
  const refresh = (rt: string) =>
    s.call('POST', '/api/public/auth/refresh', { body: { refresh_token: rt } });

  it('refresh after more than the idle timeout → SESSION_ENDED, and the session is ended', async () => {
    const t = await fresh();
    clock.advance(1801 * S);
    expectError(await refresh(t.refresh_token), 401, 'SESSION_ENDED');
    expect((await s.rt.sessions.get(sidOf(t.access_token)))?.end_reason).toBe('EXPIRED');
  });

  it('activity keeps a session alive: refreshes, or requests whose last-seen was written', async () => {
    let t = await fresh();
    clock.advance(1500 * S);
    const r = await refresh(t.refresh_token);
    expect(r.statusCode).toBe(200);
    t = r.data.data;
    clock.advance(800 * S);
    expect(await me(s, t.access_token)).toBe('OK');
    await s.rt.lastSeen.flush();
    clock.advance(1200 * S); // 2000 s since the last refresh, 1200 s since the last request
    expect((await refresh(t.refresh_token)).statusCode).toBe(200);
  });

  it('after the absolute lifetime → SESSION_ENDED however active; tokens never outlive the session', async () => {
    let t: {
      access_token: string;
      refresh_token: string;
      expires_in: number;
      refresh_expires_in?: number;
    } = await fresh();
    const start = clock.now();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000 * S);
      const r = await refresh(t.refresh_token);
      expect(r.statusCode).toBe(200);
      t = r.data.data;
    }
    // 3000 s in: 600 s of session left, less than the access-token lifetime.
    expect(t.expires_in).toBe(600);
    expect(t.refresh_expires_in).toBe(600);
    clock.set(start + 3599 * S);
    expect(await me(s, t.access_token)).toBe('OK');
    clock.set(start + 3600 * S);
    expect(await me(s, t.access_token)).toBe('TOKEN_EXPIRED');
    expectError(await refresh(t.refresh_token), 401, 'SESSION_ENDED');
  });

  it('refresh at the absolute end → SESSION_ENDED, and the session is ended', async () => {
    const t = await fresh();
    clock.advance(3600 * S);
    expectError(await refresh(t.refresh_token), 401, 'SESSION_ENDED');
    expect((await s.rt.sessions.get(sidOf(t.access_token)))?.end_reason).toBe('EXPIRED');
  });

  it('a logged-out token stays refused after the access lifetime is lowered at run time', async () => {
    admin = await s.adminToken();
    expect(
      (
        await s.call('PATCH', '/api/admin/settings', {
          token: admin,
          body: { accessTokenTtl: 3600 },
        })
      ).statusCode,
    ).toBe(200);
    try {
      const t = await fresh();
      expect(await me(s, t.access_token)).toBe('OK'); // now in the verified-token cache
      expect(
        (
          await s.call('PATCH', '/api/admin/settings', {
            token: admin,
            body: { accessTokenTtl: 60 },
          })
        ).statusCode,
      ).toBe(200);
      await s.call('POST', '/api/public/auth/logout', { token: t.access_token });
      // The sid revocation only needs to outlive tokens of the current lifetime (60 s + skew)...
      clock.advance(91 * S);
      s.rt.revocations.sweep();
      // ...because older tokens are refused by age, cached or not.
      expect(await me(s, t.access_token)).not.toBe('OK');
    } finally {
      // The admin's own token is now too old for the 60 s lifetime as well.
      admin = await s.adminToken();
      expect(
        (
          await s.call('PATCH', '/api/admin/settings', {
            token: admin,
            body: { accessTokenTtl: null },
          })
        ).statusCode,
      ).toBe(200);
    }
  });

  it('expireStale ends idle and over-age sessions and revokes their access tokens at once', async () => {
    admin = await s.adminToken();
    await s.call('PATCH', '/api/admin/settings', {
      token: admin,
      body: { sessionIdleTimeout: 60 },
    });
    try {
      const idle = await fresh();
      const busy = await fresh();
      clock.advance(59 * S);
      expect(await me(s, busy.access_token)).toBe('OK');
      expect((await refresh(busy.refresh_token)).statusCode).toBe(200);
      clock.advance(2 * S);
      // The idle session's access token is still within its own lifetime.
      expect(await me(s, idle.access_token)).toBe('OK');
      expect(await s.rt.sessions.expireStale()).toBeGreaterThanOrEqual(1);
      expect(await me(s, idle.access_token)).toBe('SESSION_ENDED');
      const row = await s.rt.sessions.get(sidOf(idle.access_token));
      expect(row).toMatchObject({ end_reason: 'EXPIRED', ended_at: clock.now() });
      expect((await s.rt.sessions.get(sidOf(busy.access_token)))?.ended_at).toBeNull();
      expect(await s.rt.sessions.expireStale()).toBe(0);
    } finally {
      await s.call('PATCH', '/api/admin/settings', {
        token: await s.adminToken(),
        body: { sessionIdleTimeout: null },
      });
    }
  });
});
