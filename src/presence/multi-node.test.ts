import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { haveRedis, havePostgres } from '../test-support/services.js';
import { baseUrl, connect, eventually, type Client } from './ws-client.test-support.js';

/** @see issue 5 — two nodes on one PostgreSQL schema and one Redis prefix. */
describe.runIf(haveRedis() && havePostgres())('/ws across two nodes (Redis)', () => {
  let a: TestServer;
  let b: TestServer;
  let hostA: string;
  let hostB: string;
  const ids: Record<string, string> = {};
  const open: Client[] = [];

  const ws = async (host: string, token: string) => {
    const c = await connect(`ws://${host}/ws?jwt_token=${token}`);
    open.push(c);
    return c;
  };
  const onlineIds = async (t: TestServer, token: string) =>
    (await t.call('GET', '/api/auth/online?user_type=kefu', { token })).data.data.users.map(
      (u: { user_id: string }) => u.user_id,
    ) as string[];

  beforeAll(async () => {
    const config = { loginPolicy: 'kefu=single,*=multi' };
    a = await createTestServer({ dialect: 'postgres', redis: true, config });
    b = await createTestServer({ dialect: 'postgres', redis: true, config, join: a.shared });
    for (const name of ['kefu_a', 'kefu_b', 'kefu_c']) {
      const u = await a.rt.users.create({
        username: name,
        password: 'a-strong-passphrase',
        userType: 'kefu',
        roles: ['user'],
      });
      ids[name] = String(u.id);
    }
    hostA = await baseUrl(a.app);
    hostB = await baseUrl(b.app);
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await b?.close();
    await a?.close();
  });

  it('a user connected to node A is listed online on node B, and its presence reaches sockets on B', async () => {
    const watcher = await ws(hostB, (await b.login('kefu_b')).access_token);
    const sock = await ws(hostA, (await a.login('kefu_a')).access_token);
    await watcher.next(
      (f) => f.type === 'presence' && f.user_id === ids.kefu_a && f.status === 'online',
    );
    const viewer = (await b.login('kefu_c')).access_token;
    expect(await onlineIds(b, viewer)).toContain(ids.kefu_a);
    sock.ws.close();
    await watcher.next(
      (f) => f.type === 'presence' && f.user_id === ids.kefu_a && f.status === 'offline',
    );
    expect(await onlineIds(b, viewer)).not.toContain(ids.kefu_a);
    watcher.ws.close();
  });

  it('a user with sockets on both nodes stays online until the last one closes', async () => {
    const watcher = await ws(hostB, (await b.login('kefu_b')).access_token);
    const t1 = (await a.login('kefu_c')).access_token;
    // kefu is `single`, so both sockets share the one session's token.
    const onA = await ws(hostA, t1);
    const onB = await ws(hostB, t1);
    await watcher.next((f) => f.user_id === ids.kefu_c && f.status === 'online');
    onA.ws.close();
    await onA.closed;
    await new Promise((r) => setTimeout(r, 200));
    expect(
      watcher.frames.filter((f) => f.user_id === ids.kefu_c && f.status === 'offline'),
    ).toEqual([]);
    onB.ws.close();
    await watcher.next((f) => f.user_id === ids.kefu_c && f.status === 'offline');
    expect(watcher.frames.filter((f) => f.user_id === ids.kefu_c).map((f) => f.status)).toEqual([
      'online',
      'offline',
    ]);
    watcher.ws.close();
  });

  it('a login on node B (single policy) kicks the socket on node A', async () => {
    const first = await ws(hostA, (await a.login('kefu_a')).access_token);
    await b.login('kefu_a');
    expect(await first.next((f) => f.type === 'session_ended')).toMatchObject({
      reason: 'LOGGED_IN_ELSEWHERE',
    });
    expect((await first.closed).code).toBe(4001);
  });

  it('force logout on node B closes the socket on node A', async () => {
    const c = await ws(hostA, (await a.login('kefu_b')).access_token);
    const admin = await b.adminToken();
    const r = await b.call('POST', `/api/admin/users/${ids.kefu_b}/logout`, { token: admin });
    expect(r.statusCode).toBe(200);
    expect(await c.next((f) => f.type === 'session_ended')).toMatchObject({
      reason: 'FORCE_LOGOUT',
    });
    expect((await c.closed).code).toBe(4001);
  });

  it('an HTTP heartbeat on node B makes the user online on node A', async () => {
    const token = (await b.login('kefu_c')).access_token;
    await b.call('POST', '/api/auth/heartbeat', { token });
    await eventually(async () =>
      (await onlineIds(a, (await a.login('kefu_b')).access_token)).includes(ids.kefu_c!),
    );
  });
});
