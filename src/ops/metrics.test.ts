/**
 * Issue 17 item 1: after a scripted session (logins that succeed and fail, a
 * lock on the brute-force ladder, a captcha asked and refused, a refresh and
 * a reuse of the old refresh token, a WebSocket, an encrypted login answered
 * with a second factor), `/metrics` read with its token holds every series with
 * the values the session must have produced. Then who may read `/metrics`:
 * the token, production's refusal, the separate port.
 * @see docs/decisions/0022-metrics.md
 */
import { constants, publicEncrypt } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../http/error-handler.js';
import { solveCaptcha } from '../brute-force/brute-force.test-support.js';
import { ManualClock } from '../lib/clock.js';
import { totpCode } from '../mfa/codes.js';
import { enrolled } from '../mfa/mfa.test-support.js';
import { baseUrl, connect, eventually, type Client } from '../presence/ws-client.test-support.js';
import { parsePrometheus, samples, value, type Sample } from '../test-support/prometheus.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { metricsRoute, publicMetricsAccess } from './routes.js';

const TOKEN = 'metrics-token-for-the-tests-0123';
const PW = 'a-strong-passphrase';
const LOGIN = '/api/public/auth/login';
const REFRESH = '/api/public/auth/refresh';

async function scrape(t: TestServer, token = TOKEN): Promise<Sample[]> {
  const r = await t.call('GET', '/metrics', { token });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/plain');
  return parsePrometheus(r.body);
}

describe('/metrics after a scripted session (embedded)', () => {
  let t: TestServer;
  let ws: Client | undefined;
  let m: Sample[];
  const clock = new ManualClock(Date.now());
  const http = (route: string, method: string, status: string) =>
    value(m, 'tessera_http_request_duration_seconds_count', { route, method, status });

  beforeAll(async () => {
    t = await createTestServer({
      clock,
      config: {
        metricsToken: TOKEN,
        lockAfterFailures: 2,
        captchaAfterFailures: 1,
        lockoutMode: 'account',
      },
    });
    for (const u of ['alice', 'bob', 'carol'])
      await t.rt.users.create({ username: u, password: PW, roles: ['user'] });
    // Logins: alice once; wrong; a captcha asked, a bad one refused; wrong again with a solved
    // captcha (the second failure locks her); then locked out even with her password.
    const alice = (body: Record<string, unknown>) =>
      t.call('POST', LOGIN, { body: { username: 'alice', ...body } });
    await t.login('alice');
    expect((await alice({ password: 'no' })).statusCode).toBe(401);
    expect((await alice({ password: PW })).data.error).toBe('CAPTCHA_REQUIRED');
    expect((await alice({ password: PW, captcha: 'garbage' })).data.error).toBe('CAPTCHA_FAILED');
    expect((await alice({ password: 'no', captcha: await solveCaptcha(t) })).statusCode).toBe(401);
    const locked = await alice({ password: PW });
    expect([locked.statusCode, locked.data.error]).toEqual([423, 'ACCOUNT_LOCKED']);
    // A refresh, then the old refresh token again: reuse detected, bob's session ended.
    const bob = await t.login('bob');
    const rotated = await t.call('POST', REFRESH, { body: { refresh_token: bob.refresh_token } });
    expect(rotated.statusCode).toBe(200);
    const reused = await t.call('POST', REFRESH, { body: { refresh_token: bob.refresh_token } });
    expect([reused.statusCode, reused.data.error]).toEqual([401, 'TOKEN_REVOKED']);
    // A WebSocket: carol online.
    const carol = await t.login('carol');
    ws = await connect(`ws://${await baseUrl(t.app)}/ws?jwt_token=${carol.access_token}`);
    await eventually(() => t.rt.features.presence!.presence.localCount() === 1);
    // The encrypted login of a user with a second factor: MFA_REQUIRED, then the TOTP answer.
    const { secret } = await enrolled(t, clock, 'dora');
    const key = (await t.call('GET', '/api/public/auth/public-key')).data.data;
    const encryptedPassword = publicEncrypt(
      { key: key.public_key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(PW),
    ).toString('base64');
    const first = await t.call('POST', LOGIN, {
      body: { username: 'dora', encryptedPassword, keyId: key.key_id },
    });
    expect(first.data.error).toBe('MFA_REQUIRED');
    const verified = await t.call('POST', '/api/public/auth/mfa/verify', {
      body: { mfa_ticket: first.data.data.mfa_ticket, code: totpCode(secret, clock.now()) },
    });
    expect(verified.statusCode).toBe(200);
    // A URL no route has.
    expect((await t.call('GET', '/no/such/thing?x=1')).statusCode).toBe(404);
    await t.rt.audit.flush();
    m = await scrape(t);
  });
  afterAll(async () => {
    ws?.ws.terminate();
    await t.close();
  });

  it('counts logins by method and outcome, and the ladder’s refusals and locks', () => {
    const logins = samples(m, 'tessera_logins_total').map((s) => [
      s.labels.method,
      s.labels.outcome,
      s.value,
    ]);
    expect(logins.sort()).toEqual(
      [
        ['password', 'ACCOUNT_LOCKED', 1],
        ['password', 'CAPTCHA_FAILED', 1],
        ['password', 'CAPTCHA_REQUIRED', 1],
        ['password', 'INVALID_CREDENTIALS', 2],
        // alice, bob, carol, and dora before she enrolled her second factor.
        ['password', 'success', 4],
        ['rsa', 'MFA_REQUIRED', 1],
        ['totp', 'success', 1],
      ].sort(),
    );
    expect(value(m, 'tessera_login_refusals_total', { code: 'ACCOUNT_LOCKED' })).toBe(1);
    expect(value(m, 'tessera_login_refusals_total', { code: 'CAPTCHA_REQUIRED' })).toBe(1);
    expect(value(m, 'tessera_login_refusals_total', { code: 'CAPTCHA_FAILED' })).toBe(1);
    expect(value(m, 'tessera_login_refusals_total', { code: 'RATE_LIMITED' })).toBe(0);
    expect(value(m, 'tessera_account_locks_total')).toBe(1);
    expect(samples(m, 'tessera_captcha_failures_total').map((s) => [s.labels, s.value])).toEqual([
      [{ purpose: 'login', reason: 'malformed' }, 1],
    ]);
  });

  it('counts the rotation and the reuse; the ended session is in the revocation set', () => {
    expect(value(m, 'tessera_refresh_rotations_total', { outcome: 'rotated' })).toBe(1);
    expect(value(m, 'tessera_refresh_reuse_detections_total')).toBe(1);
    expect(value(m, 'tessera_revocation_set_entries', { kind: 'sid' })).toBe(1);
    expect(value(m, 'tessera_revocation_set_entries', { kind: 'jti' })).toBe(0);
    expect(value(m, 'tessera_revocation_set_entries', { kind: 'user' })).toBe(0);
    // alice's, carol's and dora's two; bob's ended with the reuse.
    expect(value(m, 'tessera_sessions_live')).toBe(4);
    expect(value(m, 'tessera_session_table_entries', { state: 'live' })).toBeGreaterThanOrEqual(1);
  });

  it('holds the socket, the online user, the key pool and the queues', () => {
    expect(value(m, 'tessera_ws_connections')).toBe(1);
    expect(value(m, 'tessera_presence_online_users')).toBe(1);
    expect(value(m, 'tessera_login_key_pool_keys', { state: 'capacity' })).toBe(2);
    const ready = value(m, 'tessera_login_key_pool_keys', { state: 'ready' })!;
    expect(ready).toBeGreaterThanOrEqual(0);
    expect(ready).toBeLessThanOrEqual(2);
    expect(value(m, 'tessera_mail_queue_depth')).toBe(0);
    expect(value(m, 'tessera_alert_webhook_queue_depth')).toBe(0);
  });

  it('times requests by route pattern, method and status; one series for unmatched URLs', () => {
    expect(http(LOGIN, 'POST', '200')).toBe(4);
    expect(http(LOGIN, 'POST', '401')).toBe(3);
    expect(http(LOGIN, 'POST', '400')).toBe(2);
    expect(http(LOGIN, 'POST', '423')).toBe(1);
    expect(http(REFRESH, 'POST', '200')).toBe(1);
    expect(http(REFRESH, 'POST', '401')).toBe(1);
    expect(http('unmatched', 'GET', '404')).toBe(1);
    // No label carries a URL: every route label is a registered pattern or "unmatched".
    const routes = new Set(
      samples(m, 'tessera_http_request_duration_seconds_count').map((s) => s.labels.route),
    );
    expect([...routes].some((r) => r?.includes('?') || r?.includes('/no/such'))).toBe(false);
    // Cumulative buckets: +Inf holds the count.
    expect(
      value(m, 'tessera_http_request_duration_seconds_bucket', {
        route: LOGIN,
        method: 'POST',
        status: '200',
        le: '+Inf',
      }),
    ).toBe(4);
    expect(value(m, 'tessera_http_errors_total', { code: '401' })).toBe(4);
    expect(value(m, 'tessera_http_errors_total', { code: '400' })).toBe(2);
    expect(value(m, 'tessera_http_errors_total', { code: '423' })).toBe(1);
  });

  it('times SQL statements', () => {
    expect(value(m, 'tessera_sql_query_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThan(
      50,
    );
    expect(value(m, 'tessera_sql_query_duration_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(
      0,
    );
  });

  it('refuses a scraper without the token, or with another one', async () => {
    const none = await t.call('GET', '/metrics');
    expect([none.statusCode, none.data.error]).toEqual([401, 'TOKEN_MISSING']);
    const wrong = await t.call('GET', '/metrics', { token: `${TOKEN}x` });
    expect([wrong.statusCode, wrong.data.error]).toEqual([401, 'TOKEN_INVALID']);
    expect(wrong.body).not.toContain('tessera_');
  });
});

describe('who may read /metrics', () => {
  it('in production without a token or a port: 403, never the series', async () => {
    const t = await createTestServer();
    // A production config the test server cannot start with (its checks want the environment's
    // TESSERA_TRUST_PROXY): the same route and decision, on an app of their own.
    const app = Fastify();
    app.decorate('defaultLocale', 'en');
    installErrorHandling(app);
    try {
      const access = publicMetricsAccess({ ...t.config, production: true });
      expect(access).toEqual({ token: undefined, refuse: true });
      await app.register(metricsRoute(t.rt.metrics, access!));
      const r = await app.inject({ url: '/metrics', headers: { 'accept-language': 'zh-CN' } });
      const body = JSON.parse(r.body) as { error: string; message: string };
      expect([r.statusCode, body.error]).toEqual([403, 'FORBIDDEN']);
      expect(body.message).toContain('TESSERA_METRICS_TOKEN');
      expect(body.message).toMatch(/生产环境/);
      expect(r.body).not.toContain('tessera_');
      // With a token, production serves it to whoever shows the token.
      expect(publicMetricsAccess({ ...t.config, production: true, metricsToken: TOKEN })).toEqual({
        token: TOKEN,
        refuse: false,
      });
      // With a port, the public app has no /metrics at all.
      expect(publicMetricsAccess({ ...t.config, production: true, metricsPort: 9464 })).toBe(
        undefined,
      );
    } finally {
      await app.close();
      await t.close();
    }
  });

  it('in development without a token: open (npm start, then curl)', async () => {
    const t = await createTestServer();
    try {
      // A HEAD route Fastify derives from a GET one is counted once, under HEAD.
      await t.call('GET', '/healthz');
      await t.call('HEAD', '/healthz');
      const r = await t.call('GET', '/metrics');
      expect(r.statusCode).toBe(200);
      const m = parsePrometheus(r.body);
      const count = (method: string) =>
        value(m, 'tessera_http_request_duration_seconds_count', {
          route: '/healthz',
          method,
          status: '200',
        });
      expect([count('GET'), count('HEAD')]).toEqual([1, 1]);
    } finally {
      await t.close();
    }
  });

  it('with a separate port: /metrics there (token required), none on the public port', async () => {
    const t = await createTestServer({ config: { metricsPort: 0, metricsToken: TOKEN } });
    try {
      expect((await t.call('GET', '/metrics', { token: TOKEN })).statusCode).toBe(404);
      const m = t.metricsApp!;
      const ok = await m.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('tessera_logins_total');
      const no = await m.inject({ url: '/metrics' });
      expect([no.statusCode, JSON.parse(no.body).error]).toEqual([401, 'TOKEN_MISSING']);
      expect((await m.inject({ url: '/api/public/auth/login', method: 'POST' })).statusCode).toBe(
        404,
      );
    } finally {
      await t.close();
    }
  });
});

describe('/metrics with Redis', () => {
  it('times Redis commands and the pub/sub lag of messages between nodes', async () => {
    const a = await createTestServer({ redis: true, dialect: 'postgres' });
    const b = await createTestServer({ redis: true, dialect: 'postgres', join: a.shared });
    try {
      await a.rt.users.create({ username: 'dave', password: PW, roles: ['user'] });
      const s = await a.login('dave');
      // Logout on node a: the session's end is published; node b receives it.
      expect(
        (await a.call('POST', '/api/public/auth/logout', { token: s.access_token })).statusCode,
      ).toBe(200);
      await eventually(async () => {
        const m = parsePrometheus((await b.call('GET', '/metrics')).body);
        return (value(m, 'tessera_pubsub_lag_seconds_count') ?? 0) >= 1;
      });
      const m = parsePrometheus((await a.call('GET', '/metrics')).body);
      expect(
        value(m, 'tessera_redis_command_duration_seconds_count', { outcome: 'ok' }),
      ).toBeGreaterThan(0);
      expect(
        value(m, 'tessera_sql_query_duration_seconds_count', { outcome: 'ok' }),
      ).toBeGreaterThan(0);
      // The lag of a message across a local Redis: well under a second.
      const bm = parsePrometheus((await b.call('GET', '/metrics')).body);
      const lag =
        value(bm, 'tessera_pubsub_lag_seconds_sum')! /
        value(bm, 'tessera_pubsub_lag_seconds_count')!;
      expect(lag).toBeLessThan(1);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
