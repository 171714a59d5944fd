import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../src/test-support/auth-helpers.js';
import { TcpProxy } from '../../../src/test-support/tcp-proxy.js';
import { createClient, type TesseraClient } from './client.js';
import type { PresenceClient, PresenceEvent, WebSocketConstructor } from './presence.js';
import { memoryStorage } from './storage.js';
import { PW, serve, type Served } from './server.test-support.js';

/** The presence socket against a real Tessera: heartbeat, presence frames, reconnect, session end. */
describe('@tessera-auth/client: presence', () => {
  let srv: Served;
  let proxy: TcpProxy;
  const open: { close(): void }[] = [];
  const client = async (username: string): Promise<TesseraClient> => {
    const c = createClient({
      baseUrl: srv.origin,
      storage: memoryStorage(),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      encryptedLogin: false,
      autoRefresh: false,
    });
    open.push(c);
    await c.login({ username, password: PW });
    return c;
  };
  const watch = (p: PresenceClient) => {
    open.push(p);
    return p;
  };

  beforeAll(async () => {
    srv = await serve();
    for (const u of ['watcher', 'walker', 'leaver'])
      await srv.s.register(u, PW, `${u}@example.com`);
    proxy = await new TcpProxy('127.0.0.1', srv.port).start();
  }, 90_000);
  afterAll(async () => {
    for (const o of open) o.close();
    await proxy.close();
    await srv.s.close();
  });

  it('heartbeat pongs, and presence frames of other users', async () => {
    const watcher = await client('watcher');
    const p = watch(watcher.presence({ heartbeatMs: 100 }));
    const frames: Record<string, unknown>[] = [];
    const seen: PresenceEvent[] = [];
    p.on('frame', (f) => frames.push(f));
    p.on('presence', (e) => seen.push(e));
    await waitFor(() => frames.some((f) => f.type === 'pong'), 3000);
    expect(p.state).toBe('open');

    const walker = await client('walker');
    const wp = watch(walker.presence());
    const walkerId = String((await walker.me()).userId);
    await waitFor(() => seen.some((e) => e.status === 'online' && e.user_id === walkerId), 3000);
    expect(seen.find((e) => e.user_id === walkerId)).toMatchObject({
      type: 'presence',
      user_id: walkerId,
      user_type: 'user',
    });
    wp.close();
    srv.s.rt.features.presence!.tick();
    await waitFor(() => seen.some((e) => e.status === 'offline' && e.user_id === walkerId), 3000);
  });

  it('reconnects with backoff after the server drops the socket', async () => {
    const c = await client('walker');
    const p = watch(
      c.presence({ url: `ws://127.0.0.1:${proxy.port}/ws`, backoffBaseMs: 50, heartbeatMs: 100 }),
    );
    const states: string[] = [];
    p.on('state', (s) => states.push(s));
    await waitFor(() => p.state === 'open', 3000);
    // The connection is reset and new ones are refused for a while: attempts pile up.
    await proxy.cut();
    await waitFor(() => p.attempts >= 2, 5000);
    expect(p.state).not.toBe('open');
    await proxy.restore();
    await waitFor(() => p.state === 'open', 10_000);
    expect(states).toContain('waiting');
    expect(c.getTokens()).not.toBeNull();
    // The new socket works: the heartbeat resets the backoff.
    await waitFor(() => p.attempts === 0, 3000);

    // A server restart (close 1012) reconnects as well.
    srv.s.rt.features.presence!.hub.closeAll();
    await waitFor(() => states.filter((s) => s === 'open').length >= 3, 5000);
  });

  it('session_ended after a logout-all elsewhere: the tokens are dropped, no reconnect', async () => {
    const here = await client('leaver');
    const p = watch(here.presence({ heartbeatMs: 100 }));
    const ended: string[] = [];
    p.on('session_ended', (e) => ended.push(e.reason));
    const dropped = new Promise<string>((r) => here.onTokens((t, why) => !t && r(why)));
    await waitFor(() => p.state === 'open', 3000);

    const elsewhere = await client('leaver');
    await elsewhere.logoutAll();
    expect(await dropped).toBe('session_ended');
    expect(ended).toEqual(['LOGGED_OUT']);
    expect(here.getTokens()).toBeNull();
    expect(p.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.state).toBe('closed');
  });
});
