import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { startReceiver } from './receiver.test-support.js';
import { signPayload, verifySignature } from './sign.js';
import { createWebhookSender } from './webhook.js';

const log = { warn: () => {} };

describe('alert webhooks', () => {
  it('signs t=<unix>,v1=<hmac> over "<t>.<body>"; receivers reject tampering and stale timestamps', () => {
    const h = signPayload('s', '{"a":1}', 1700000000);
    expect(h).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('s', '{"a":1}', h, 1700000100)).toBe(true);
    expect(verifySignature('s', '{"a":2}', h, 1700000100)).toBe(false);
    expect(verifySignature('other', '{"a":1}', h, 1700000100)).toBe(false);
    expect(verifySignature('s', '{"a":1}', h, 1700001000)).toBe(false);
    expect(verifySignature('s', '{"a":1}', undefined, 1700000000)).toBe(false);
  });

  it('retries with backoff until the receiver accepts, same delivery id each time', async () => {
    const rx = await startReceiver('sec', { failFirst: 2 });
    const w = createWebhookSender({
      urls: [rx.url],
      secret: 'sec',
      clock: new ManualClock(),
      log,
      baseDelayMs: 20,
    });
    try {
      w.send('alert.test', { type: 'alert.test', n: 1 });
      const d = await rx.waitFor((x) => x.body.type === 'alert.test');
      expect(rx.attempts()).toBe(3);
      expect(d.signatureValid).toBe(true);
      expect(d.headers['x-tessera-event']).toBe('alert.test');
      expect(d.headers['x-tessera-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await w.stop();
      await rx.close();
    }
  });

  it('gives up after the last attempt and keeps its queue bounded', async () => {
    const rx = await startReceiver('sec', { failFirst: 1000 });
    const w = createWebhookSender({
      urls: [rx.url],
      secret: 'sec',
      clock: new ManualClock(),
      log,
      baseDelayMs: 1,
      attempts: 3,
      maxQueue: 5,
    });
    try {
      for (let i = 0; i < 8; i++) w.send('alert.flood', { i });
      expect(w.dropped()).toBe(3);
      await w.idle();
      expect(rx.attempts()).toBe(15);
      expect(rx.deliveries).toHaveLength(0);
    } finally {
      await w.stop();
      await rx.close();
    }
  });
});
