import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyPairPool } from './pool.js';

describe('key pair pool', () => {
  it('fills with real RSA pairs off the event loop, up to its capacity, and closes cleanly', async () => {
    const pool = createKeyPairPool({ keySize: 2048, capacity: 3, concurrency: 1, warmup: 1 });
    await pool.start();
    expect(pool.stats().size).toBeGreaterThanOrEqual(1);
    const pair = pool.take();
    if (!pair) throw new Error('no pair');
    const priv = createPrivateKey({ key: pair.privateKeyDer, format: 'der', type: 'pkcs8' });
    expect(priv.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(priv).export({ type: 'spki', format: 'pem' })).toBe(pair.publicKeyPem);
    // Refills to capacity and stops there (bounded).
    while (pool.stats().size < 3) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    expect(pool.stats()).toMatchObject({ size: 3, capacity: 3, inflight: 0, taken: 1 });
    expect(pool.stats().generated).toBe(4);
    await pool.close();
    expect(pool.stats().size).toBe(0);
  });

  it('take() never generates; below the reserve it is a miss', async () => {
    let calls = 0;
    const pool = createKeyPairPool({
      keySize: 2048,
      capacity: 2,
      generate: async () => {
        calls++;
        if (calls > 2) throw new Error('stop');
        return { publicKeyPem: 'p', privateKeyDer: Buffer.alloc(8, 1) };
      },
      retryMs: 10_000,
    });
    await pool.start();
    expect(pool.take(1)).toBeDefined();
    expect(pool.take(1)).toBeUndefined();
    expect(pool.take(0)).toBeDefined();
    expect(pool.take()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 10));
    expect(pool.stats()).toMatchObject({ misses: 2, errors: 1, size: 0 });
    expect(pool.retryAfterMs()).toBeGreaterThanOrEqual(1000);
    // The retry timer is cleared by close (the test process would otherwise wait for it).
    await pool.close();
  });

  it('close() during start resolves start and waits for generations in flight', async () => {
    let release: (() => void) | undefined;
    const der = Buffer.alloc(8, 7);
    const pool = createKeyPairPool({
      keySize: 2048,
      capacity: 4,
      generate: () =>
        new Promise(
          (resolve) => (release = () => resolve({ publicKeyPem: 'p', privateKeyDer: der })),
        ),
    });
    const started = pool.start();
    const closed = pool.close();
    await started;
    release?.();
    await closed;
    expect(pool.stats().size).toBe(0);
    expect(der.every((b) => b === 0)).toBe(true); // a pair finished after close is wiped
  });
});
