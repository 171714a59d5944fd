import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { openStream, revokes, SERVICE_TOKEN } from './sse-client.test-support.js';

const PW = 'a-strong-passphrase';
const sidOf = (t: string): string =>
  JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).sid as string;

/**
 * Two nodes on one PostgreSQL and one Redis: a client of node B's feed hears a logout made on
 * node A within milliseconds (the bus), each tenant's stream its own tenant's only, since the
 * bus message names the tenant; and node B's window numbers it as its own.
 */
describe('revocation feed across nodes (PostgreSQL + Redis)', () => {
  let a: TestServer;
  let b: TestServer;
  let feedB: string;

  beforeAll(async () => {
    const config = { publicApiTokens: [SERVICE_TOKEN], revocationPollMs: 0 };
    a = await createTestServer({ dialect: 'postgres', redis: true, config });
    b = await createTestServer({ dialect: 'postgres', redis: true, config, join: a.shared });
    await b.app.listen({ host: '127.0.0.1', port: 0 });
    feedB = `http://127.0.0.1:${(b.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a logout on node A reaches node B’s streams by the bus, filtered by tenant', async () => {
    const root = await a.adminToken();
    const created = await a.call('POST', '/api/admin/tenants', {
      token: root,
      body: { id: 'feed-mn', name: 'Feed MN', admin_username: 'head', admin_password: PW },
    });
    expect(created.statusCode, created.body).toBe(201);
    const mine = await openStream(`${feedB}/api/service/revocations/stream`);
    const theirs = await openStream(`${feedB}/t/feed-mn/api/service/revocations/stream`);
    await mine.take(1);
    await theirs.take(1);

    const login = await a.call('POST', '/t/feed-mn/api/public/auth/login', {
      body: { username: 'head', password: PW },
    });
    const tenantToken = login.data.data.access_token as string;
    await a.call('POST', '/t/feed-mn/api/public/auth/logout', { token: tenantToken });
    await a.register('mnuser');
    const t = (await a.login('mnuser')).access_token;
    const t0 = performance.now();
    await a.call('POST', '/api/public/auth/logout', { token: t });
    const [, heard] = await mine.take(2);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(revokes([heard!])).toEqual([sidOf(t)]);
    expect(revokes(await theirs.take(2))).toEqual([sidOf(tenantToken)]);
    await mine.close();
    await theirs.close();
  });
});
