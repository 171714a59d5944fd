import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createStreamHub } from './streams.js';
import { createFeedWindow } from './window.js';

/** A response whose client reads nothing: every write stays buffered. */
function stalledResponse() {
  const r = Object.assign(new EventEmitter(), {
    writableLength: 0,
    destroyed: false,
    written: [] as string[],
    write(chunk: string) {
      r.written.push(chunk);
      r.writableLength += Buffer.byteLength(chunk);
      return false;
    },
    destroy() {
      r.destroyed = true;
      r.emit('close');
    },
    end() {},
  });
  return r;
}

const exp = () => Date.now() + 60_000;

describe('revocation streams', () => {
  it('drops a client that reads too slowly instead of buffering without bound', () => {
    const window = createFeedWindow(1000, 'e');
    let dropped = 0;
    const hub = createStreamHub({
      window,
      maxStreams: () => 10,
      heartbeatMs: 60_000,
      maxBufferedBytes: () => 4096,
      onSlowClient: () => (dropped += 1),
    });
    const slow = stalledResponse();
    hub.open(slow as unknown as ServerResponse, 'default', window.resume(undefined));
    for (let i = 0; i < 200; i++) window.append({ kind: 'jti', value: `t${i}`, expiresAt: exp() });
    expect(slow.destroyed).toBe(true);
    expect(dropped).toBe(1);
    expect(hub.size()).toBe(0);
    // Nothing more was queued once it passed the bound (one frame beyond at most).
    expect(slow.writableLength).toBeLessThan(4096 + 200);
    hub.stop();
  });

  it('numbers events, replays after a cursor, and resets a cursor out of the ring', () => {
    const w = createFeedWindow(3, 'ep');
    for (let i = 1; i <= 5; i++) w.append({ kind: 'sid', value: `s${i}`, expiresAt: exp() });
    expect(w.cursor()).toBe('ep.5');
    const r = w.resume('ep.2');
    expect('replay' in r && r.replay.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(w.resume('ep.1')).toEqual({ reset: 'too old' });
    expect(w.resume('ep.5')).toEqual({ replay: [] });
    expect(w.resume('ep.6')).toEqual({ reset: 'unknown' });
    expect(w.resume('other.4')).toEqual({ reset: 'unknown' });
    expect(w.resume(undefined)).toEqual({ reset: 'start' });
    w.append({ kind: 'user', value: '7', notBefore: 1000, expiresAt: 2_000_000_000_000 });
    expect(
      JSON.parse((w.resume('ep.5') as { replay: { data: string }[] }).replay[0]!.data),
    ).toEqual({ kind: 'user', value: '7', notBefore: 1000, expiresAt: 2_000_000_000_000 });
  });
});
