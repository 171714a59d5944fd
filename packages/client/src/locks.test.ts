import { describe, expect, it } from 'vitest';
import { broadcastLock, localLock, webLocks, type RefreshLock } from './locks.js';

/** At most one holder at a time, every contender served, whatever the lock. */
async function exclusive(locks: RefreshLock[], rounds = 3): Promise<number> {
  let inside = 0;
  let most = 0;
  let done = 0;
  await Promise.all(
    locks.flatMap((l) =>
      Array.from({ length: rounds }, () =>
        l.run('x', async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
          done++;
        }),
      ),
    ),
  );
  expect(done).toBe(locks.length * rounds);
  return most;
}

describe('refresh locks', () => {
  it('BroadcastChannel: five tabs contending three times each, one holder at a time', async () => {
    const tabs = Array.from({ length: 5 }, () => broadcastLock({ windowMs: 20 }));
    expect(await exclusive(tabs)).toBe(1);
  });

  it('a holder whose tab died (no `free` ever comes) is waited for maxWaitMs, then taken over', async () => {
    // The dying tab answers one claim with `held`, then its channel goes away mid-refresh.
    const dying = new BroadcastChannel('tessera-lock:y');
    dying.onmessage = (ev: MessageEvent) => {
      if ((ev.data as { t?: string }).t !== 'claim') return;
      dying.postMessage({ t: 'held', id: 'dying-tab' });
      dying.close();
    };
    const alive = broadcastLock({ windowMs: 20, maxWaitMs: 300 });
    const t0 = performance.now();
    expect(await alive.run('y', async () => 'got')).toBe('got');
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(2000);
  });

  it('in-process lock and the Web Locks adapter', async () => {
    const l = localLock();
    expect(await exclusive([l, l, l])).toBe(1);
    // A LockManager stand-in with Web Locks' contract (exclusive per name), as navigator.locks is.
    const inner = localLock();
    const w = webLocks({ request: (name, _o, fn) => inner.run(name, fn) });
    expect(await exclusive([w, w])).toBe(1);
  });
});
