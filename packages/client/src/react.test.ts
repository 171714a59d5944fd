import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { createClient } from './client.js';
import { authStore, useAuth, type UseAuth } from './react.js';
import { memoryStorage, type StorageLike } from './storage.js';
import { PW, recorder, serve, type Served } from './server.test-support.js';

/** useAuth with React itself (server rendering), and the store it reads through the seed hook's states. */
describe('@tessera-auth/client/react', () => {
  let srv: Served;
  beforeAll(async () => {
    srv = await serve();
    await srv.s.register('hooked', PW, 'hooked@example.com');
  }, 90_000);
  afterAll(() => srv.s.close());
  const client = (storage: StorageLike, o: { clock?: ManualClock } = {}) => {
    const rec = recorder();
    const c = createClient({
      baseUrl: srv.origin,
      storage,
      fetch: rec.fetch,
      autoRefresh: false,
      encryptedLogin: false,
      ...o,
    });
    return { c, rec };
  };

  it("has the seed hook's shape, loading first", () => {
    const { c } = client(memoryStorage());
    let seen: UseAuth | undefined;
    function Probe() {
      seen = useAuth(c);
      return createElement('p', null, seen.isLoading ? 'loading' : 'ready');
    }
    expect(renderToString(createElement(Probe))).toBe('<p>loading</p>');
    expect(seen).toMatchObject({ isAuthenticated: false, isLoading: true, user: null, mfa: null });
    for (const f of ['login', 'logout', 'verifyMfa'] as const)
      expect(typeof seen![f]).toBe('function');
    // One store per client: every component sees the same state.
    expect(authStore(c)).toBe(authStore(c));
  });

  it('a reload finds the session in storage, refreshing an expired access token first', async () => {
    const storage = memoryStorage();
    const clock = new ManualClock(Date.now());
    const first = client(storage, { clock }).c;
    await authStore(first).login('hooked', PW);
    expect(authStore(first).getSnapshot()).toMatchObject({
      isAuthenticated: true,
      isLoading: false,
      user: { username: 'hooked' },
    });
    clock.advance(901_000);
    const { c: reloaded, rec } = client(storage, { clock });
    const store = authStore(reloaded);
    expect(store.getSnapshot().isLoading).toBe(true);
    await store.check();
    expect(store.getSnapshot()).toMatchObject({
      isAuthenticated: true,
      user: { username: 'hooked' },
    });
    expect(rec.sent.map((x) => x.path)).toEqual([
      '/api/public/auth/refresh',
      '/api/public/auth/me',
    ]);
  });

  it('signed out when the session ends elsewhere (a refused refresh, or logout)', async () => {
    const storage = memoryStorage();
    const clock = new ManualClock(Date.now());
    const { c } = client(storage, { clock });
    const store = authStore(c);
    await store.login('hooked', PW);
    const changes: boolean[] = [];
    store.subscribe(() => changes.push(store.getSnapshot().isAuthenticated));
    await srv.s.call('POST', '/api/auth/logout-all', { token: c.getTokens()!.access_token });
    clock.advance(901_000);
    await expect(c.me()).rejects.toMatchObject({ status: 401 });
    expect(store.getSnapshot()).toMatchObject({ isAuthenticated: false, user: null });
    expect(changes).toContain(false);
    // A fresh check from an empty storage: not signed in, not loading.
    const other = authStore(client(memoryStorage()).c);
    await other.check();
    expect(other.getSnapshot()).toMatchObject({ isAuthenticated: false, isLoading: false });
  });
});
