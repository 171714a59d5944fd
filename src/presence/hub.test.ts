import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ManualClock } from '../lib/clock.js';
import type { AccessClaims } from '../tokens/claims.js';
import { createHub } from './hub.js';
import { createPresenceService } from './service.js';
import { createMemoryPresenceStore } from './store/memory.js';
import { createMemoryBus } from '../bus/memory.js';

/** A socket that records what the hub does to it. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  terminated = false;
  pings = 0;
  send(d: Buffer | string) {
    this.sent.push(d.toString());
  }
  close(code: number) {
    this.closedWith = code;
    this.readyState = 2;
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close');
  }
  ping() {
    this.pings++;
  }
}

const claims = (sub: string, type = 'kefu', exp = 10_000): AccessClaims => ({
  iss: 'i',
  aud: 'a',
  sub,
  sid: `s${sub}`,
  jti: `j${sub}`,
  iat: 0,
  exp,
  role: 'user',
  level: 10,
  scope: '',
  roles: ['user'],
  user_type: type,
  username: `u${sub}`,
});

function setup() {
  const clock = new ManualClock(1_000_000);
  const log = pino({ level: 'silent' });
  const presence = createPresenceService({
    store: createMemoryPresenceStore(),
    bus: createMemoryBus(),
    clock,
    log,
    timeoutMs: () => 60_000,
  });
  let revoked = false;
  const hub = createHub({
    presence,
    clock,
    log,
    maxBuffered: 1024,
    timeoutMs: () => 60_000,
    revoked: () => revoked,
    touch: () => {},
  });
  const open = (sub: string, type = 'kefu') => {
    const s = new FakeSocket();
    hub.attach(s as unknown as WebSocket, claims(sub, type), { all: false, type });
    return s;
  };
  return { clock, hub, presence, open, revoke: () => (revoked = true) };
}

/** @see issue 5 — resource bounds of the socket hub. */
describe('socket hub', () => {
  it('closes a slow consumer with 1013 instead of queueing, then cuts it if the close stalls', () => {
    const { hub, open, clock } = setup();
    const slow = open('1');
    slow.bufferedAmount = 4096;
    hub.fanout({ type: 'presence', user_id: '2', user_type: 'kefu', status: 'online', at: 1 });
    expect(slow.sent).toEqual([]);
    expect(slow.closedWith).toBe(1013);
    clock.advance(6_000);
    hub.sweep();
    expect(slow.terminated).toBe(true);
    expect(hub.stats()).toEqual({ sockets: 0, sessions: 0, watchers: 0 });
  });

  it('delivers presence only to sockets that may see that user type', () => {
    const { hub, open } = setup();
    const kefu = open('1', 'kefu');
    const user = open('2', 'user');
    hub.fanout({ type: 'presence', user_id: '3', user_type: 'kefu', status: 'online', at: 1 });
    expect(kefu.sent).toHaveLength(1);
    expect(user.sent).toHaveLength(0);
  });

  it('pings a quiet socket at half the timeout and cuts it at the timeout', () => {
    const { hub, open, clock } = setup();
    const s = open('1');
    clock.advance(30_000);
    hub.sweep();
    expect(s.pings).toBe(1);
    s.emit('pong');
    clock.advance(59_000);
    hub.sweep();
    expect(s.terminated).toBe(false);
    clock.advance(1_000);
    hub.sweep();
    expect(s.terminated).toBe(true);
  });

  it('closes a socket whose token was revoked without a session-end event (after one tick of grace)', () => {
    const { hub, open, clock, revoke } = setup();
    const s = open('1');
    revoke();
    hub.sweep();
    expect(s.closedWith).toBeNull();
    clock.advance(1_000);
    hub.sweep();
    expect(s.closedWith).toBe(4001);
    expect(JSON.parse(s.sent[0]!)).toEqual({
      type: 'session_ended',
      reason: 'FORCE_LOGOUT',
      detail: 'REVOKED',
    });
  });

  it('keeps no listener or entry once the socket closed', () => {
    const { hub, open, presence } = setup();
    const s = open('1');
    expect(s.listenerCount('message')).toBe(1);
    s.emit('close');
    expect(hub.stats()).toEqual({ sockets: 0, sessions: 0, watchers: 0 });
    expect(presence.localCount()).toBe(0);
  });
});
