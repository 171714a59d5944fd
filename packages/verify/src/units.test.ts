import { describe, expect, it } from 'vitest';
import { createRevocationSet } from './revocation-set.js';
import { readEvents, type SseEvent } from './sse.js';

/** A body delivered in the given chunks, as a network would split it. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

async function all(chunks: string[]): Promise<{ events: SseEvent[]; activity: number }> {
  let activity = 0;
  const events: SseEvent[] = [];
  for await (const e of readEvents(body(chunks), () => (activity += 1))) events.push(e);
  return { events, activity };
}

describe('SSE parser', () => {
  it('splits events across chunks, CRLF, CR, multi-line data, comments; the id persists', async () => {
    const { events, activity } = await all([
      'retry: 1000\r\n\r\nid: e.1\r\nevent: re',
      'set\r\ndata: {"a":1}\r',
      '\n\r\n: heartbeat\n\nevent: revoke\ndata: x\ndata: y\n\nid: e.3\ndata: z\r\rdata:nospace\n\n',
    ]);
    expect(events).toEqual([
      { id: 'e.1', event: 'reset', data: '{"a":1}' },
      { id: 'e.1', event: 'revoke', data: 'x\ny' },
      { id: 'e.3', event: 'message', data: 'z' },
      { id: 'e.3', event: 'message', data: 'nospace' },
    ]);
    expect(activity).toBe(3);
  });
});

describe('revocation set', () => {
  it('keeps entries until they expire, merges to the later expiry and cut-off, stays bounded', () => {
    let now = 1_000_000;
    const set = createRevocationSet(() => now, 3);
    set.add({ kind: 'sid', value: 's1', expiresAt: now + 1000 });
    set.add({ kind: 'jti', value: 'j1', expiresAt: now + 1000 });
    set.add({ kind: 'user', value: '7', notBefore: now, expiresAt: now + 1000 });
    set.add({ kind: 'user', value: '7', notBefore: now - 5000, expiresAt: now + 500 });
    set.add({ kind: 'sid', value: 'gone', expiresAt: now - 1 });
    expect(set.size()).toBe(3);
    expect(set.check('s1', 'x', '1', 0)).toBe('SESSION_ENDED');
    expect(set.check('x', 'j1', '1', 0)).toBe('TOKEN_REVOKED');
    // iat (s) before the cut-off (ms) is refused; at or after it, accepted.
    expect(set.check('x', 'x', '7', now / 1000 - 1)).toBe('TOKEN_REVOKED');
    expect(set.check('x', 'x', '7', now / 1000)).toBe(null);
    // One more than the bound: the oldest goes.
    set.add({ kind: 'sid', value: 's2', expiresAt: now + 2000 });
    expect(set.size()).toBe(3);
    expect(set.check('s1', 'x', '1', 0)).toBe(null);
    expect(set.check('s2', 'x', '1', 0)).toBe('SESSION_ENDED');
    now += 1500;
    set.sweep();
    expect(set.size()).toBe(1);
  });
});
