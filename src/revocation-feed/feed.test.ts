import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

import { openStream, revokes, SERVICE_TOKEN } from './sse-client.test-support.js';

describe('revocation feed', () => {
  let s: TestServer;
  let base: string;

  beforeAll(async () => {
    s = await createTestServer({
      config: {
        publicApiTokens: [SERVICE_TOKEN],
        revocationFeedWindow: 100,
        revocationFeedMaxStreams: 4,
        revocationFeedHeartbeatMs: 1000,
      },
    });
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = s.app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/service/revocations`;
  });
  afterAll(() => s?.close());

  async function logoutNewSession(user: string): Promise<string> {
    const t = await s.login(user);
    const sid = JSON.parse(Buffer.from(t.access_token.split('.')[1]!, 'base64url').toString()).sid;
    const r = await s.call('POST', '/api/public/auth/logout', { token: t.access_token });
    expect(r.statusCode, r.body).toBe(200);
    return sid as string;
  }

  it('refuses callers without the service token: none, a wrong one, a user token', async () => {
    await s.register('feeduser0');
    const user = (await s.login('feeduser0')).access_token;
    for (const path of ['', '/stream']) {
      expectError(await s.call('GET', `/api/service/revocations${path}`), 401, 'TOKEN_MISSING');
      expectError(
        await s.call('GET', `/api/service/revocations${path}`, { token: 'not-the-token' }),
        401,
        'TOKEN_INVALID',
      );
      expectError(
        await s.call('GET', `/api/service/revocations${path}`, { token: user }),
        401,
        'TOKEN_INVALID',
      );
    }
  });

  it('a fresh stream starts with reset; a logout arrives as a numbered revoke event; the snapshot has it', async () => {
    await s.register('feeduser1');
    const st = await openStream(`${base}/stream`);
    expect(st.status).toBe(200);
    expect(st.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(st.headers['x-content-type-options']).toBe('nosniff');
    const [reset] = await st.take(1);
    expect(reset).toMatchObject({ event: 'reset', data: { reason: 'start' } });
    const sid = await logoutNewSession('feeduser1');
    const evs = await st.take(2);
    expect(evs[1]).toMatchObject({ event: 'revoke', data: { kind: 'sid', value: sid } });
    const seq = (id: string | undefined) => Number(id!.split('.')[1]);
    expect(seq(evs[1]!.id)).toBe(seq(reset!.id) + 1);
    await st.close();

    const snap = await s.call('GET', '/api/service/revocations', { token: SERVICE_TOKEN });
    expect(snap.statusCode).toBe(200);
    expect(snap.data.data.cursor).toBe(evs[1]!.id);
    expect(snap.data.data.revocations).toContainEqual({
      kind: 'sid',
      value: sid,
      expiresAt: expect.any(Number),
    });
  });

  it('resumes after a disconnect from Last-Event-ID (or ?since=): the missed revocations, then resume', async () => {
    await s.register('feeduser2');
    const first = await openStream(`${base}/stream`);
    await first.take(1);
    const a = await logoutNewSession('feeduser2');
    const [, seen] = await first.take(2);
    await first.close();
    // Revoked while the client was away.
    const b = await logoutNewSession('feeduser2');
    const c = await logoutNewSession('feeduser2');

    const again = await openStream(`${base}/stream`, { 'last-event-id': seen!.id! });
    const evs = await again.take(3);
    expect(evs.map((e) => e.event)).toEqual(['revoke', 'revoke', 'resume']);
    expect(revokes(evs)).toEqual([b, c]);
    expect(revokes(evs)).not.toContain(a);
    await again.close();

    const byQuery = await openStream(`${base}/stream?since=${encodeURIComponent(seen!.id!)}`);
    expect(revokes(await byQuery.take(3))).toEqual([b, c]);
    await byQuery.close();
  });

  it('answers reset to a cursor older than the window, from another node or restart, or malformed', async () => {
    const st = await openStream(`${base}/stream`);
    const [reset] = await st.take(1);
    await st.close();
    const [epoch, seq] = reset!.id!.split('.');
    // The window keeps 100 events: 101 revocations push the cursor out of it.
    const exp = Date.now() + 60_000;
    for (let i = 0; i < 101; i++)
      await s.rt.revocations.revoke({ kind: 'jti', value: `old-${i}`, expiresAt: exp });
    const cases: [string, string][] = [
      [`${epoch}.${seq}`, 'too old'],
      [`otherepoch.${seq}`, 'unknown'],
      [`${epoch}.999999999`, 'unknown'],
      ['garbage', 'unknown'],
    ];
    for (const [cursor, reason] of cases) {
      const r = await openStream(`${base}/stream`, { 'last-event-id': cursor });
      const [first] = await r.take(1);
      expect(first, cursor).toMatchObject({ event: 'reset', data: { reason } });
      await r.close();
    }
  });

  it('sends a heartbeat comment on an idle stream', async () => {
    const st = await openStream(`${base}/stream`);
    await st.take(1);
    await st.until(() => st.comments() > 0, 2500);
    await st.close();
  });

  it('refuses a stream beyond the limit with 503 REVOCATION_FEED_FULL and Retry-After; a closed one frees its place', async () => {
    const open = [];
    for (let i = 0; i < 4; i++) {
      const st = await openStream(`${base}/stream`);
      await st.take(1);
      open.push(st);
    }
    const full = await s.call('GET', '/api/service/revocations/stream', { token: SERVICE_TOKEN });
    expectError(full, 503, 'REVOCATION_FEED_FULL');
    expect(full.headers['retry-after']).toBe('5');
    await open.pop()!.close();
    let next: Awaited<ReturnType<typeof openStream>> | undefined;
    // The server sees the close a moment later.
    for (let i = 0; i < 50 && next?.status !== 200; i++) {
      await next?.close();
      next = await openStream(`${base}/stream`);
      if (next.status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(next!.status).toBe(200);
    for (const st of [...open, next!]) await st.close();
  });

  it('a tenant stream carries that tenant’s revocations only', async () => {
    const root = await s.adminToken();
    const created = await s.call('POST', '/api/admin/tenants', {
      token: root,
      body: {
        id: 'feed-t',
        name: 'Feed',
        admin_username: 'head',
        admin_password: 'a-strong-passphrase',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const tenantBase = base.replace('/api/', '/t/feed-t/api/');
    const mine = await openStream(`${base}/stream`);
    const theirs = await openStream(`${tenantBase}/stream`);
    await mine.take(1);
    await theirs.take(1);
    const login = await s.call('POST', '/t/feed-t/api/public/auth/login', {
      body: { username: 'head', password: 'a-strong-passphrase' },
    });
    const token = login.data.data.access_token as string;
    const tsid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid;
    await s.call('POST', '/t/feed-t/api/public/auth/logout', { token });
    await s.register('feeduser3');
    const dsid = await logoutNewSession('feeduser3');
    expect(revokes(await theirs.take(2))).toEqual([tsid]);
    expect(revokes(await mine.take(2))).toEqual([dsid]);
    const snap = await s.call('GET', '/t/feed-t/api/service/revocations', { token: SERVICE_TOKEN });
    expect(snap.data.data.revocations.map((r: { value: string }) => r.value)).toEqual([tsid]);
    await mine.close();
    await theirs.close();
  });
});
