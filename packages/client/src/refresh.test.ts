import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { createClient, type TesseraClient } from './client.js';
import { broadcastLock, localLock, type RefreshLock } from './locks.js';
import { memoryStorage, type StorageLike } from './storage.js';
import { PW, recorder, serve, type Served } from './server.test-support.js';

/**
 * Refresh-token rotation is strict on the server (a second use of a refresh
 * token ends the session family), so two tabs refreshing at once must spend
 * it once: the lock holder refreshes, the other reads the new pair from the
 * shared storage.
 */
describe('@tessera-auth/client: refresh', () => {
  let srv: Served;
  beforeAll(async () => {
    srv = await serve();
    await srv.s.register('tabby', PW, 'tabby@example.com');
  }, 90_000);
  afterAll(() => srv.s.close());

  /** Two "tabs": two clients on one storage, each with the lock its tab would have. */
  async function twoTabs(locks: [RefreshLock, RefreshLock], clock = new ManualClock(Date.now())) {
    const storage: StorageLike = memoryStorage();
    const rec = recorder();
    const tab = (lock: RefreshLock) =>
      createClient({
        baseUrl: srv.origin,
        storage,
        fetch: rec.fetch,
        lock,
        clock,
        autoRefresh: false,
        encryptedLogin: false,
      });
    const a = tab(locks[0]);
    const b = tab(locks[1]);
    await a.login({ username: 'tabby', password: PW });
    rec.sent.length = 0;
    return { a, b, rec, storage, clock };
  }

  const shared = localLock();
  const cases: [string, () => [RefreshLock, RefreshLock]][] = [
    ['one in-process lock shared by both', () => [shared, shared]],
    // Node 20 has BroadcastChannel: two lock objects talk only through the channel, like two tabs.
    ['BroadcastChannel (a lock object per tab)', () => [broadcastLock(), broadcastLock()]],
  ];

  for (const [name, locks] of cases)
    it(`two tabs refreshing at once spend the refresh token once: ${name}`, async () => {
      const { a, b, rec } = await twoTabs(locks());
      const before = a.getTokens()!;
      const [ta, tb] = await Promise.all([a.refresh(), b.refresh()]);
      expect(rec.count('POST', '/public/auth/refresh')).toBe(1);
      expect(ta).toEqual(tb);
      expect(ta.refresh_token).not.toBe(before.refresh_token);
      // Nobody was logged out: both tabs work, and the next rotation is accepted.
      expect((await a.me()).username).toBe('tabby');
      expect((await b.me()).username).toBe('tabby');
      await b.refresh();
      expect((await a.me()).username).toBe('tabby');
    });

  it('without a shared lock the same race ends the session (what the lock prevents)', async () => {
    const { a, b, rec } = await twoTabs([localLock(), localLock()]);
    const results = await Promise.allSettled([a.refresh(), b.refresh()]);
    expect(rec.count('POST', '/public/auth/refresh')).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    // Reuse detection ended the family: the winner's new pair is refused too.
    await expect(a.me()).rejects.toMatchObject({ status: 401 });
  });

  it('expired on this clock: the calls of both tabs refresh once, first', async () => {
    const { a, b, rec, clock } = await twoTabs([shared, shared]);
    clock.advance(900_000);
    const [ma, mb] = await Promise.all([a.me(), b.me(), a.sessions.list()]);
    expect(ma.username).toBe('tabby');
    expect(mb.username).toBe('tabby');
    expect(rec.count('POST', '/public/auth/refresh')).toBe(1);
  });

  it('refused with TOKEN_EXPIRED (the server clock ran ahead): one refresh, one retry', async () => {
    const { a, rec } = await twoTabs([shared, shared]);
    srv.clock.advance(901_000);
    expect((await a.me()).username).toBe('tabby');
    expect(rec.sent.map((x) => `${x.status} ${x.path}`)).toEqual([
      '401 /api/public/auth/me',
      '200 /api/public/auth/refresh',
      '200 /api/public/auth/me',
    ]);
  });

  it('a refused refresh signs the client out; other tabs see it through the storage', async () => {
    const { a, b, storage } = await twoTabs([shared, shared]);
    const events: string[] = [];
    a.onTokens((t, why) => events.push(`${why}:${t ? 'tokens' : 'none'}`));
    await srv.s.call('POST', '/api/auth/logout-all', { token: a.getTokens()!.access_token });
    await expect(a.refresh()).rejects.toMatchObject({ status: 401 });
    expect(events).toEqual(['refresh_failed:none']);
    expect(storage.getItem('tessera.tokens')).toBeNull();
    expect(b.getTokens()).toBeNull();
    await expect(b.me()).rejects.toMatchObject({ code: 'TOKEN_MISSING' });
  });

  it('logout with an expired access token refreshes first, so the server session ends', async () => {
    const { a, rec, clock } = await twoTabs([shared, shared]);
    let latest = a.getTokens()!;
    a.onTokens((t) => t && (latest = t));
    clock.advance(900_000);
    await a.logout();
    expect(rec.sent.map((x) => `${x.status} ${x.path}`)).toEqual([
      '200 /api/public/auth/refresh',
      '200 /api/public/auth/logout',
    ]);
    const r = await srv.s.call('POST', '/api/public/auth/refresh', {
      body: { refresh_token: latest.refresh_token },
    });
    expect(r.statusCode).toBe(401);
  });

  it('refreshes in the background before the access token expires', async () => {
    const rec = recorder();
    const client: TesseraClient = createClient({
      baseUrl: srv.origin,
      storage: memoryStorage(),
      fetch: rec.fetch,
      encryptedLogin: false,
      // 900 s tokens, refreshed 899.8 s early: the timer fires 200 ms after the login.
      refreshLeewayMs: 899_800,
    });
    const refreshed = new Promise<string>((resolve) =>
      client.onTokens((t, why) => why === 'refresh' && resolve(t!.access_token)),
    );
    await client.login({ username: 'tabby', password: PW });
    const first = client.getTokens()!.access_token;
    const next = await refreshed;
    expect(next).not.toBe(first);
    expect(rec.count('POST', '/public/auth/refresh')).toBeGreaterThanOrEqual(1);
    client.close();
  });
});
