/**
 * No user enumeration: an unknown user and a wrong password get the same
 * answer after the same work. Medians of 50 interleaved attempts each are
 * printed (the report quotes them) and must agree within noise.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../test-support/server.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe('login timing and answers do not reveal whether a user exists', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Thresholds out of the way: this measures the password check, not the policy.
    t = await createTestServer({
      config: {
        captchaAfterFailures: 1000,
        lockAfterFailures: 1000,
        loginAttemptsPerIpPerHour: 100_000,
      },
    });
    await t.register('rita');
  });
  afterAll(() => t?.close());

  const attempt = async (username: string) => {
    const t0 = performance.now();
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/public/auth/login',
      payload: { username, password: 'definitely-wrong' },
    });
    return { ms: performance.now() - t0, status: r.statusCode, body: r.body };
  };

  it('same status, same body, same time (median of 50 each)', async () => {
    for (let i = 0; i < 5; i++) await Promise.all([attempt('rita'), attempt('ghost-user')]);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 50; i++) {
      const a = await attempt('rita');
      const b = await attempt('ghost-user');
      expect([b.status, b.body]).toEqual([a.status, a.body]);
      known.push(a.ms);
      unknown.push(b.ms);
    }
    const mk = median(known);
    const mu = median(unknown);
    console.info(
      `[timing] wrong password median ${mk.toFixed(2)} ms, unknown user median ${mu.toFixed(2)} ms (n=50 each)`,
    );
    expect(Math.abs(mk - mu) / Math.max(mk, mu)).toBeLessThan(0.25);
  });
});
