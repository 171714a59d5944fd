import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { baseUrl, connect, eventually, sleep, type Client } from './ws-client.test-support.js';

/** @see issue 5 — `/ws` auth forms, presence, real-time session end, expiry (one node, embedded). */
describe('/ws on one node', () => {
  const clock = new ManualClock(Date.now());
  let t: TestServer;
  let host: string;
  const ids: Record<string, string> = {};
  const open: Client[] = [];

  const tick = () => t.rt.features.presence!.tick();
  const login = async (u: string) => (await t.login(u)).access_token;
  const ws = async (token: string, extra = '') => {
    const c = await connect(`ws://${host}/ws?jwt_token=${token}${extra}`);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await createTestServer({ clock, config: { loginPolicy: 'kefu=single,*=multi' } });
    for (const [name, type] of [
      ['kefu_a', 'kefu'],
      ['kefu_b', 'kefu'],
      ['kefu_c', 'kefu'],
      ['cust', 'user'],
    ] as const) {
      const u = await t.rt.users.create({
        username: name,
        password: 'a-strong-passphrase',
        userType: type,
        roles: ['user'],
      });
      ids[name] = String(u.id);
    }
    host = await baseUrl(t.app);
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await t.close();
  });

  describe('authentication at the upgrade', () => {
    it('accepts ?jwt_token= (seed form) and ignores user_id/user_name/user_type', async () => {
      const c = await ws(await login('cust'), '&user_id=kefu_001&user_name=admin&user_type=kefu');
      c.ws.send(JSON.stringify({ type: 'ping' }));
      expect(await c.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
      c.ws.close();
      await c.closed;
    });

    it('accepts Authorization: Bearer', async () => {
      const c = await connect(`ws://${host}/ws`, {
        headers: { authorization: `Bearer ${await login('cust')}` },
      });
      open.push(c);
      expect(c.ws.readyState).toBe(1);
      c.ws.close();
    });

    it('accepts the subprotocol pair bearer, <token> and answers `bearer`', async () => {
      const c = await connect(`ws://${host}/ws`, { protocols: ['bearer', await login('cust')] });
      open.push(c);
      expect(c.ws.protocol).toBe('bearer');
      c.ws.close();
    });

    it('refuses with HTTP 401 and the error envelope before any upgrade', async () => {
      await expect(connect(`ws://${host}/ws`)).rejects.toThrow(
        /^HTTP 401 .*"error":"TOKEN_MISSING"/,
      );
      await expect(connect(`ws://${host}/ws?jwt_token=not.a.jwt`)).rejects.toThrow(
        /^HTTP 401 .*"error":"TOKEN_INVALID"/,
      );
      await expect(
        connect(`ws://${host}/ws`, { headers: { authorization: 'Basic abc' } }),
      ).rejects.toThrow(/^HTTP 401 .*"error":"TOKEN_INVALID"/);
      await expect(connect(`ws://${host}/ws`, { protocols: ['bearer', 'x.y.z'] })).rejects.toThrow(
        /^HTTP 401/,
      );
      const logged = await t.login('cust');
      await t.call('POST', '/api/public/auth/logout', { token: logged.access_token });
      await expect(connect(`ws://${host}/ws?jwt_token=${logged.access_token}`)).rejects.toThrow(
        /^HTTP 401 .*"error":"SESSION_ENDED"/,
      );
    });

    it('refuses an expired token', async () => {
      const token = await login('cust');
      clock.advance(901_000);
      try {
        await expect(connect(`ws://${host}/ws?jwt_token=${token}`)).rejects.toThrow(
          /^HTTP 401 .*"error":"TOKEN_EXPIRED"/,
        );
      } finally {
        clock.advance(-901_000);
      }
    });
  });

  describe('frames', () => {
    it('answers malformed, unknown and binary frames with {type:"error"} and closes oversized ones (1009)', async () => {
      const c = await ws(await login('cust'));
      c.ws.send('{not json');
      c.ws.send(JSON.stringify({ type: 'subscribe' }));
      c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      c.ws.send('null');
      const errors = () => c.frames.filter((f) => f.type === 'error');
      await eventually(() => errors().length >= 4);
      expect(errors().map((f) => f.error)).toEqual([
        'VALIDATION_FAILED',
        'VALIDATION_FAILED',
        'VALIDATION_FAILED',
        'VALIDATION_FAILED',
      ]);
      expect(errors()[1]!.message).toMatch(/unknown type/);
      c.ws.send('x'.repeat(5000));
      expect((await c.closed).code).toBe(1009);
    });
  });

  describe('presence', () => {
    it('pushes online/offline of a kefu to the other kefu, not to ordinary users', async () => {
      const watcher = await ws(await login('kefu_b'));
      const customer = await ws(await login('cust'));
      const a = await ws(await login('kefu_a'));
      const on = await watcher.next((f) => f.user_id === ids.kefu_a && f.status === 'online');
      expect(on).toMatchObject({ type: 'presence', user_type: 'kefu', status: 'online' });
      expect(typeof on.at).toBe('number');
      const list = await t.call('GET', '/api/auth/online?user_type=kefu', {
        token: await login('cust'),
      });
      expect(list.statusCode).toBe(403);
      // kefu_c merely logged in: no socket, no heartbeat, so not online.
      const mine = await t.call('GET', '/api/auth/online', { token: await login('kefu_c') });
      expect(mine.data.data.users.map((u: { user_id: string }) => u.user_id).sort()).toEqual(
        [ids.kefu_a, ids.kefu_b].sort(),
      );
      expect(mine.data.data.users[0]).toMatchObject({
        username: expect.any(String),
        user_type: 'kefu',
        since: expect.any(Number),
      });
      a.ws.close();
      await watcher.next((f) => f.user_id === ids.kefu_a && f.status === 'offline');
      expect(
        customer.frames.filter((f) => f.type === 'presence' && f.user_type === 'kefu'),
      ).toEqual([]);
      watcher.ws.close();
      customer.ws.close();
    });

    it('lets administrators (users:read) see every user type', async () => {
      const admin = await ws(await t.adminToken());
      const a = await ws(await login('kefu_a'));
      await admin.next(
        (f) => f.type === 'presence' && f.user_id === ids.kefu_a && f.status === 'online',
      );
      const all = await t.call('GET', '/api/auth/online', { token: await t.adminToken() });
      expect(all.data.data.users.map((u: { user_type: string }) => u.user_type)).toEqual(
        expect.arrayContaining(['kefu', 'user']),
      );
      a.ws.close();
      await admin.next(
        (f) => f.type === 'presence' && f.user_id === ids.kefu_a && f.status === 'offline',
      );
      admin.ws.close();
    });

    it('answers a plain GET /ws (no upgrade) with 400, after checking the token', async () => {
      expect((await t.call('GET', '/ws')).statusCode).toBe(401);
      const r = await t.call('GET', '/ws', { token: await login('cust') });
      expect(r.statusCode).toBe(400);
      expect(r.data.error).toBe('VALIDATION_FAILED');
    });

    it('keeps a user online by HTTP heartbeats and drops it after the silence', async () => {
      const watcherToken = await login('kefu_b');
      const watcher = await ws(watcherToken);
      const hb = await t.call('POST', '/api/auth/heartbeat', { token: await login('kefu_c') });
      expect(hb.statusCode).toBe(200);
      expect(hb.data.data).toMatchObject({ status: 'online', timeout_seconds: 60 });
      const online = async () =>
        (
          await t.call('GET', '/api/auth/online?user_type=kefu', { token: watcherToken })
        ).data.data.users.map((u: { user_id: string }) => u.user_id);
      expect(await online()).toContain(ids.kefu_c);
      clock.advance(30_000);
      watcher.ws.send('{"type":"ping"}'); // the watcher itself stays alive
      await watcher.next((f) => f.type === 'pong');
      tick();
      expect(await online()).toContain(ids.kefu_c);
      clock.advance(31_000);
      tick();
      await watcher.next((f) => f.user_id === ids.kefu_c && f.status === 'offline');
      expect(await online()).not.toContain(ids.kefu_c);
      watcher.ws.close();
    });

    it('cuts a silent socket (no frame, no pong) after the timeout', async () => {
      const c = await ws(await login('cust'));
      clock.advance(61_000);
      tick();
      expect((await c.closed).code).toBe(1006);
    });
  });

  describe('session end in real time', () => {
    it('single policy: a second login kicks the first socket with LOGGED_IN_ELSEWHERE and 4001', async () => {
      const first = await ws(await login('kefu_a'));
      await login('kefu_a');
      expect(await first.next((f) => f.type === 'session_ended')).toMatchObject({
        reason: 'LOGGED_IN_ELSEWHERE',
      });
      expect((await first.closed).code).toBe(4001);
    });

    it('force logout by an administrator closes every socket of the user (FORCE_LOGOUT)', async () => {
      const c1 = await ws(await login('cust'));
      const c2 = await ws(await login('cust'));
      const r = await t.call('POST', `/api/admin/users/${ids.cust}/logout`, {
        token: await t.adminToken(),
      });
      expect(r.statusCode).toBe(200);
      for (const c of [c1, c2]) {
        expect(await c.next((f) => f.type === 'session_ended')).toMatchObject({
          reason: 'FORCE_LOGOUT',
        });
        expect((await c.closed).code).toBe(4001);
      }
    });

    it('logout closes the socket with LOGGED_OUT', async () => {
      const token = await login('cust');
      const c = await ws(token);
      await t.call('POST', '/api/public/auth/logout', { token });
      expect(await c.next((f) => f.type === 'session_ended')).toMatchObject({
        reason: 'LOGGED_OUT',
      });
      expect((await c.closed).code).toBe(4001);
    });

    it('an access token expiring closes its socket at the expiry (EXPIRED)', async () => {
      const c = await ws(await login('cust'));
      clock.advance(899_000);
      c.ws.send('{"type":"ping"}');
      await c.next((f) => f.type === 'pong');
      tick();
      expect(c.ws.readyState).toBe(1);
      clock.advance(2_000);
      tick();
      expect(await c.next((f) => f.type === 'session_ended')).toMatchObject({ reason: 'EXPIRED' });
      expect((await c.closed).code).toBe(4001);
    });
  });

  it('leaves nothing behind once every socket is closed', async () => {
    for (const c of open) c.ws.close();
    const h = t.rt.features.presence!;
    await eventually(() => h.hub.stats().sockets === 0);
    await sleep(20);
    expect(h.hub.stats()).toEqual({ sockets: 0, sessions: 0, watchers: 0 });
    clock.advance(61_000);
    tick();
    await h.presence.flush();
    expect(h.presence.localCount()).toBe(0);
  });
});
