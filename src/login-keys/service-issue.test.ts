/**
 * The login-key service issuing keys, on every store: a session id's unused
 * key handed back, a key bound to its session id, rate limits per IP and per
 * session id, an empty pool, and the validation of X-Session-Id and alg.
 */
import { expect, it } from 'vitest';
import { cyclingGenerator, jsencrypt } from './clients.test.js';
import { errorOf, onEveryStore, useFixturePairs } from './service.test-support.js';

const pairs = useFixturePairs();

onEveryStore(pairs, ({ make, ip }) => {
  it('the same session id gets its unused key back; a new one once used or nearly expired', async () => {
    const { svc, clock } = await make();
    const a1 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
    const a2 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
    const other = await svc.issue({ ip: ip(), sessionId: 'other-session' });
    expect(a2).toEqual(a1);
    expect(other.key_id).not.toBe(a1.key_id);
    expect(svc.stats().issued).toMatchObject({ oneTime: 2, reused: 1 });
    // The seed client re-fetches 30 s before expires_at: it must get a fresh key then.
    clock.advance(270_000);
    const a3 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
    expect(a3.key_id).not.toBe(a1.key_id);
    await svc.consume(a3.key_id, jsencrypt(a3.public_key, 'pw'));
    const a4 = await svc.issue({ ip: ip(), sessionId: '1641895200000_abc123def' });
    expect(a4.key_id).not.toBe(a3.key_id);
    const s1 = await svc.issue({ ip: ip(), sessionId: 'sid', alg: 'RSA-OAEP-256' });
    expect(await svc.issue({ ip: ip(), sessionId: 'sid', alg: 'RSA-OAEP-256' })).toEqual(s1);
  });

  it('a key consumed with another session id answers KEY_NOT_FOUND (when the caller passes one)', async () => {
    const { svc } = await make();
    const k = await svc.issue({ ip: ip(), sessionId: 'mine' });
    expect(
      (await errorOf(svc.consume(k.key_id, jsencrypt(k.public_key, 'pw'), { sessionId: 'theirs' })))
        .code,
    ).toBe('KEY_NOT_FOUND');
    const k2 = await svc.issue({ ip: ip(), sessionId: 'mine' });
    expect(
      await svc.consume(k2.key_id, jsencrypt(k2.public_key, 'pw'), { sessionId: 'mine' }),
    ).toEqual({ ok: true, password: 'pw' });
  });

  it('rate limits per IP and per session id answer 429 with Retry-After', async () => {
    const { svc } = await make({ perIpPerMinute: 3, perSessionPerMinute: 2 });
    const addr = ip();
    for (let i = 0; i < 3; i++) await svc.issue({ ip: addr, alg: 'RSA-OAEP-256' });
    expect(await errorOf(svc.issue({ ip: addr, alg: 'RSA-OAEP-256' }))).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
    });
    expect(Number((await errorOf(svc.issue({ ip: addr }))).retryAfter)).toBeGreaterThanOrEqual(1);
    await svc.issue({ ip: ip(), sessionId: 'busy' });
    await svc.issue({ ip: ip(), sessionId: 'busy' });
    expect(await errorOf(svc.issue({ ip: ip(), sessionId: 'busy' }))).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
    });
  });

  it('an empty pool answers 503 UNAVAILABLE with Retry-After; never generates on the request path', async () => {
    const gen = cyclingGenerator(pairs(), 2);
    const { svc } = await make({ poolSize: 2, generate: gen });
    await svc.issue({ ip: ip() });
    const callsBefore = gen.calls;
    const e = await errorOf(svc.issue({ ip: ip() }));
    expect(e).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(Number(e.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(gen.calls).toBe(callsBefore); // the request did not trigger a generation
    // The reserved pair still serves the shared OAEP mode.
    const s = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    expect(s.paddings).toEqual(['RSA-OAEP-256']);
    expect(svc.stats().pool.misses).toBeGreaterThanOrEqual(1);
  });

  it('rejects a bad X-Session-Id or alg with VALIDATION_FAILED', async () => {
    const { svc } = await make();
    for (const sessionId of ['', 'x'.repeat(129), 'ünïcode', 'tab\t', 'nl\n']) {
      expect((await errorOf(svc.issue({ ip: ip(), sessionId }))).code).toBe('VALIDATION_FAILED');
    }
    expect((await errorOf(svc.issue({ ip: ip(), alg: 'RSA-OAEP' }))).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      (await svc.issue({ ip: ip(), sessionId: 'x'.repeat(128), alg: 'RSA1_5' })).key_id,
    ).toHaveLength(24);
  });
});
