import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory.js';
import { ManualClock } from '../lib/clock.js';
import { createPresenceService } from './service.js';
import { createMemoryPresenceStore } from './store/memory.js';
import type { PresenceStore } from './store/store.js';
import { PRESENCE_CHANNEL, type PresenceFrame } from './types.js';

function setup(store: PresenceStore = createMemoryPresenceStore()) {
  const clock = new ManualClock(1_000_000);
  const bus = createMemoryBus();
  const frames: PresenceFrame[] = [];
  bus.subscribe(PRESENCE_CHANNEL, (m) => frames.push(m as PresenceFrame));
  const presence = createPresenceService({
    store,
    bus,
    clock,
    log: pino({ level: 'silent' }),
    timeoutMs: () => 60_000,
  });
  const settle = async () => {
    await presence.flush();
    await new Promise((r) => setImmediate(r));
  };
  return { clock, presence, frames, settle };
}

const kefu = { id: '1', type: 'kefu', name: 'a' };

/** @see issue 5 — presence rules, independent of sockets. */
describe('presence service', () => {
  it('sockets: online at the first, offline at the last, one frame each', async () => {
    const { presence, frames, settle } = setup();
    presence.connect(kefu);
    presence.connect(kefu);
    presence.disconnect('1');
    await settle();
    expect(frames.map((f) => f.status)).toEqual(['online']);
    presence.disconnect('1');
    await settle();
    expect(frames.map((f) => f.status)).toEqual(['online', 'offline']);
  });

  it('a fresh heartbeat keeps the user online after its last socket closes, until the silence', async () => {
    const { presence, frames, settle, clock } = setup();
    presence.heartbeat(kefu, 'sid1');
    presence.connect(kefu);
    presence.disconnect('1');
    clock.advance(59_000);
    presence.sweep();
    await settle();
    expect(frames.map((f) => f.status)).toEqual(['online']);
    clock.advance(1_000);
    presence.sweep();
    await settle();
    expect(frames.map((f) => f.status)).toEqual(['online', 'offline']);
  });

  it("the end of the heartbeat's session ends its grace at once", async () => {
    const { presence, frames, settle } = setup();
    presence.heartbeat(kefu, 'sid1');
    presence.sessionEnded('1', 'other-sid');
    await settle();
    expect(frames.map((f) => f.status)).toEqual(['online']);
    presence.sessionEnded('1', 'sid1');
    await settle();
    expect(frames.map((f) => f.status)).toEqual(['online', 'offline']);
    expect(presence.localCount()).toBe(0);
  });

  it('a failing store (Redis down) is logged, never an unhandled rejection; listing answers UNAVAILABLE', async () => {
    const down = () => Promise.reject(new Error('redis down'));
    const { presence, settle } = setup({
      join: down,
      leave: down,
      list: down,
      keepAlive: down,
      close: down,
    });
    presence.connect(kefu);
    presence.disconnect('1');
    await presence.keepAlive();
    await settle();
    await expect(presence.list()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await presence.stop();
  });
});
