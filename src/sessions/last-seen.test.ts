import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { me, uname } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { createLastSeen } from './last-seen.js';
import type { SessionStore } from './store.js';

const sidOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string })
    .sid;

describe('last-seen batching (unit)', () => {
  function setup() {
    const clock = new ManualClock();
    const calls: string[][] = [];
    const store = {
      touch: async (ids: string[]) => (calls.push([...ids]), ids.length),
    } as unknown as SessionStore;
    return { clock, calls, ls: createLastSeen(store, clock, () => 60) };
  }

  it('many touches of one session: one write, then none until the interval has passed', async () => {
    const { clock, calls, ls } = setup();
    for (let i = 0; i < 1000; i++) ls.touch('s1');
    expect(ls.pendingCount()).toBe(1);
    await ls.flush();
    expect(calls).toEqual([['s1']]);
    clock.advance(59_000);
    for (let i = 0; i < 100; i++) ls.touch('s1');
    await ls.flush();
    expect(calls).toHaveLength(1);
    clock.advance(1_000);
    ls.touch('s1');
    await ls.flush();
    expect(calls).toEqual([['s1'], ['s1']]);
  });

  it('flushes many sessions in chunks of 500; a forgotten (revoked) session is not written', async () => {
    const { calls, ls } = setup();
    for (let i = 0; i < 1200; i++) ls.touch(`s${i}`);
    ls.forget('s0');
    await ls.flush();
    expect(calls.map((c) => c.length)).toEqual([500, 500, 199]);
    expect(calls.flat()).not.toContain('s0');
    await ls.flush();
    expect(calls).toHaveLength(3);
  });
});

describe.each(dialects())('last-seen writes (%s)', (dialect) => {
  const clock = new ManualClock(Date.now());
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ dialect, clock, config: { lastSeenInterval: 60 } });
  });
  afterAll(() => s?.close());

  const row = async (sid: string) => (await s.rt.sessions.get(sid))!.last_seen_at;

  it('requests write the session row at most once per interval, in one batched UPDATE', async () => {
    const name = uname('seen');
    await s.register(name);
    const tokens = [
      (await s.login(name)).access_token,
      (await s.login(name)).access_token,
      (await s.login(name)).access_token,
    ];
    const loginAt = clock.now();
    const updates = vi.spyOn(s.rt.sql.all('the test watches last-seen writes'), 'updateTable');
    try {
      // Just after login the row is fresh: the flush writes nothing.
      for (let i = 0; i < 50; i++) expect(await me(s, tokens[0]!)).toBe('OK');
      await s.rt.lastSeen.flush();
      expect(await row(sidOf(tokens[0]!))).toBe(loginAt);

      clock.advance(61_000);
      updates.mockClear();
      for (let i = 0; i < 50; i++) for (const t of tokens) expect(await me(s, t)).toBe('OK');
      expect(updates).not.toHaveBeenCalled(); // the hot path does no I/O
      await s.rt.lastSeen.flush();
      expect(updates).toHaveBeenCalledTimes(1); // three sessions, one statement
      for (const t of tokens) expect(await row(sidOf(t))).toBe(loginAt + 61_000);

      clock.advance(30_000);
      updates.mockClear();
      for (let i = 0; i < 50; i++) await me(s, tokens[0]!);
      await s.rt.lastSeen.flush();
      expect(updates).not.toHaveBeenCalled();
      expect(await row(sidOf(tokens[0]!))).toBe(loginAt + 61_000);

      clock.advance(31_000);
      await me(s, tokens[0]!);
      await s.rt.lastSeen.flush();
      expect(updates).toHaveBeenCalledTimes(1);
      expect(await row(sidOf(tokens[0]!))).toBe(loginAt + 122_000);
      expect(await row(sidOf(tokens[1]!))).toBe(loginAt + 61_000);
    } finally {
      updates.mockRestore();
    }
  });

  it('the sessions list shows last_seen_at from the row', async () => {
    const name = uname('list');
    await s.register(name);
    const t = (await s.login(name)).access_token;
    clock.advance(61_000);
    await me(s, t);
    await s.rt.lastSeen.flush();
    const list = await s.call('GET', '/api/auth/sessions', { token: t });
    expect(list.data.data[0]).toMatchObject({
      id: sidOf(t),
      last_seen_at: clock.now(),
      current: true,
    });
  });
});
