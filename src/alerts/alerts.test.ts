/**
 * Anomalies end to end: each one is an `alert.<kind>` audit row and a signed
 * webhook delivery to a local receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { startReceiver } from './receiver.test-support.js';

const SECRET = 'webhook-secret-for-tests';
const PW = 'a-strong-passphrase';

describe('security alerts', () => {
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let t: TestServer;
  const clock = new ManualClock();
  const login = (ip: string, body: Record<string, unknown>, ua = 'Browser/1') =>
    t.app.inject({
      method: 'POST',
      url: '/api/public/auth/login',
      remoteAddress: ip,
      headers: { 'user-agent': ua },
      payload: body,
    });

  beforeAll(async () => {
    rx = await startReceiver(SECRET);
    t = await createTestServer({
      clock,
      config: {
        alertWebhookUrls: [rx.url],
        alertWebhookSecret: SECRET,
        captchaAfterFailures: 100,
        lockAfterFailures: 3,
      },
    });
    await t.register('olga');
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  const alertRows = async (event: string) => {
    await t.rt.audit.flush();
    return t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', event)
      .execute();
  };

  it('a first login sets the baseline; a new device and a new network raise alerts', async () => {
    expect(
      (await login('198.51.100.1', { username: 'olga', password: PW, device_id: 'laptop-1' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await login('198.51.100.2', { username: 'olga', password: PW, device_id: 'laptop-1' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await login('198.51.100.3', { username: 'olga', password: PW, device_id: 'phone-7' }))
        .statusCode,
    ).toBe(200);
    const dev = await rx.waitFor((d) => d.body.type === 'alert.new_device');
    expect(dev.signatureValid).toBe(true);
    expect(dev.body).toMatchObject({
      kind: 'new_device',
      username: 'olga',
      ip: '198.51.100.3',
      device_id: 'phone-7',
      user_agent: 'Browser/1',
    });
    expect(
      (await login('203.0.113.50', { username: 'olga', password: PW, device_id: 'phone-7' }))
        .statusCode,
    ).toBe(200);
    const ip = await rx.waitFor((d) => d.body.type === 'alert.new_ip');
    expect(ip.signatureValid).toBe(true);
    expect(ip.body).toMatchObject({ ip: '203.0.113.50', data: { network: '203.0.113.0/24' } });
    expect(await alertRows('alert.new_device')).toHaveLength(1);
    expect(await alertRows('alert.new_ip')).toHaveLength(1);
    // known_devices keeps HMACs, never the values.
    const kd = await t.rt.db.kysely.selectFrom('known_devices').select('value_hash').execute();
    expect(kd.some((r) => /phone|198\.51|203\.0/.test(r.value_hash))).toBe(false);
  });

  it('a lock raises account_locked', async () => {
    for (let i = 0; i < 3; i++) await login('192.0.2.9', { username: 'olga', password: 'nope' });
    const d = await rx.waitFor((x) => x.body.type === 'alert.account_locked');
    expect(d.signatureValid).toBe(true);
    expect(d.body).toMatchObject({ ip: '192.0.2.9', data: { mode: 'account_ip', failures: 3 } });
    expect(typeof d.body.user_id).toBe('number');
  });

  it('refresh-token reuse raises refresh_reuse', async () => {
    const first = JSON.parse(
      (await login('198.51.100.2', { username: 'olga', password: PW, device_id: 'laptop-1' })).body,
    ).data;
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/public/auth/refresh',
      remoteAddress: '198.51.100.2',
      payload: { refresh_token: first.refresh_token },
    });
    expect(ok.statusCode).toBe(200);
    const reuse = await t.app.inject({
      method: 'POST',
      url: '/api/public/auth/refresh',
      remoteAddress: '192.0.2.66',
      headers: { 'user-agent': 'curl/8' },
      payload: { refresh_token: first.refresh_token },
    });
    expect(JSON.parse(reuse.body).error).toBe('TOKEN_REVOKED');
    const d = await rx.waitFor((x) => x.body.type === 'alert.refresh_reuse');
    expect(d.signatureValid).toBe(true);
    expect(d.body).toMatchObject({ ip: '192.0.2.66', user_agent: 'curl/8' });
  });

  it('credential stuffing raises one alert per IP per hour', async () => {
    for (let i = 0; i < 12; i++)
      await login('192.0.2.200', { username: `stuffed${i}`, password: 'x' });
    const d = await rx.waitFor((x) => x.body.type === 'alert.credential_stuffing');
    expect(d.signatureValid).toBe(true);
    expect(d.body).toMatchObject({ ip: '192.0.2.200', data: { distinct_accounts: 10 } });
    expect(await alertRows('alert.credential_stuffing')).toHaveLength(1);
  });
});
