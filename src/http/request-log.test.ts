import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { capturedLines, linesSince } from '../test-support/log-guard/setup.js';
import { requestIdGenerator } from './request-log.js';
import type { IncomingMessage } from 'node:http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const accessLines = (from: number) => linesSince(from).filter((l) => l.mod === 'access');

describe('access log (TESSERA_ACCESS_LOG)', () => {
  let on: TestServer;
  let off: TestServer;
  beforeAll(async () => {
    [on, off] = await Promise.all([
      createTestServer({ config: { accessLog: true } }),
      createTestServer(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([on.close(), off.close()]);
  });

  it('on: one line per request with method, route, status, ms, request id, tenant; no secret', async () => {
    await on.register('alice', 'alice-passphrase-1');
    const from = capturedLines();
    const t = await on.login('alice', 'alice-passphrase-1');
    const me = await on.call('GET', '/api/public/auth/me?token=ignored', {
      token: t.access_token,
    });
    const bad = await on.call('POST', '/api/public/auth/login', {
      body: { username: 'alice', password: 'wrong-passphrase-2' },
    });
    const lines = accessLines(from);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => [l.method, l.route, l.status, l.tenant, l.msg])).toEqual([
      ['POST', '/api/public/auth/login', 200, 'default', 'request'],
      ['GET', '/api/public/auth/me', me.statusCode, 'default', 'request'],
      ['POST', '/api/public/auth/login', bad.statusCode, 'default', 'request'],
    ]);
    expect(lines[1]!.reqId).toBe(me.headers['x-request-id']);
    for (const l of lines) expect(typeof l.ms).toBe('number');
    const text = JSON.stringify(lines);
    for (const secret of [
      t.access_token,
      t.refresh_token,
      'alice-passphrase-1',
      'wrong-passphrase-2',
    ])
      expect(text).not.toContain(secret);
    expect(text).not.toContain('token=');
  });

  it('off (the default): no access line', async () => {
    const from = capturedLines();
    await off.call('GET', '/healthz');
    await off.call('GET', '/nope');
    expect(accessLines(from)).toEqual([]);
  });

  it('an unmatched route is logged without its URL', async () => {
    const from = capturedLines();
    await on.call('GET', '/nope/secret-looking-path?code=123456');
    const [l] = accessLines(from);
    expect(l).toMatchObject({ method: 'GET', route: null, status: 404 });
    expect(JSON.stringify(l)).not.toContain('secret-looking-path');
  });
});

describe('X-Request-Id', () => {
  let direct: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([
      createTestServer(),
      createTestServer({ config: { trustProxy: ['10.1.2.3'] } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([direct.close(), proxied.close()]);
  });
  const get = (s: TestServer, remoteAddress: string, id?: string) =>
    s.app.inject({
      method: 'GET',
      url: '/healthz',
      remoteAddress,
      headers: id === undefined ? {} : { 'x-request-id': id },
    });

  it('is generated (a random UUID) and echoed on every answer, errors too', async () => {
    const a = await get(direct, '127.0.0.1');
    const b = await direct.app.inject({ method: 'GET', url: '/nope' });
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('is taken from a trusted proxy', async () => {
    const r = await get(proxied, '10.1.2.3', 'edge-7f3a9c01b2');
    expect(r.headers['x-request-id']).toBe('edge-7f3a9c01b2');
  });

  it('is replaced when the peer is not a trusted proxy, or nothing is trusted', async () => {
    for (const [s, peer] of [
      [proxied, '10.9.9.9'],
      [direct, '127.0.0.1'],
      [direct, '10.1.2.3'],
    ] as const) {
      const r = await get(s, peer, 'chosen-by-client');
      expect(r.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('is replaced when too long or odd, even from a trusted proxy', async () => {
    for (const id of ['x'.repeat(129), 'a b', 'id\u00e9', '<script>', 'a,b', '']) {
      const r = await get(proxied, '10.1.2.3', id);
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-request-id']).toMatch(UUID);
    }
    expect((await get(proxied, '10.1.2.3', 'x'.repeat(128))).headers['x-request-id']).toBe(
      'x'.repeat(128),
    );
  });

  it('the generator trusts the peer only, never X-Forwarded-For', () => {
    const gen = requestIdGenerator(['10.1.2.3']);
    const req = (peer: string, headers: Record<string, string>) =>
      ({ headers, socket: { remoteAddress: peer } }) as unknown as IncomingMessage;
    expect(gen(req('10.1.2.3', { 'x-request-id': 'abc' }))).toBe('abc');
    expect(gen(req('192.0.2.1', { 'x-request-id': 'abc', 'x-forwarded-for': '10.1.2.3' }))).toMatch(
      UUID,
    );
  });
});
