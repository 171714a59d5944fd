import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLoginKeyStore } from './memory.js';

describe('memory login-key store', () => {
  it('is bounded: the oldest entries go first, expired ones are swept, secrets are wiped', async () => {
    const clock = new ManualClock();
    const store = createMemoryLoginKeyStore({ clock, maxEntries: 10 });
    const ders: Buffer[] = [];
    for (let i = 0; i < 25; i++) {
      const der = Buffer.alloc(4, 9);
      ders.push(der);
      await store.putKey(
        `k${i}`,
        { mode: 'one-time', expiresAt: clock.now() + 1000, privateKeyDer: der },
        2000,
      );
      await store.bindSession(`s${i}`, 'one-time', `k${i}`, 1000);
    }
    expect(store.size()).toEqual({ keys: 10, sessions: 10, pairs: 0 });
    expect(await store.takeKey('k0')).toBeUndefined();
    expect(ders[0]?.every((b) => b === 0)).toBe(true);
    expect((await store.sessionKey('s24', 'one-time'))?.keyId).toBe('k24');
    expect(await store.sessionKey('s24', 'shared')).toBeUndefined();
    expect((await store.takeKey('k24'))?.privateKeyDer).toBe(ders[24]);
    expect(await store.takeKey('k24')).toBeUndefined();
    clock.advance(2000);
    expect(await store.takeKey('k23')).toBeUndefined();
    await store.putKey(
      'fresh',
      { mode: 'shared', expiresAt: clock.now() + 1000, pairId: 'p' },
      2000,
    );
    expect(store.size()?.keys).toBeLessThanOrEqual(10);
  });
});
