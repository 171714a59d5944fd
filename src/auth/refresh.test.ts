import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

const REFRESH = '/api/public/auth/refresh';

/** Refresh-token rotation under concurrency and the reuse grace window. @see issue 2 §5 */
describe.each(dialects())('refresh rotation on %s', (dialect) => {
  describe('strict (no grace)', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await createTestServer({ dialect });
      await s.register('racer');
    });
    afterAll(() => s.close());

    it('of 10 simultaneous refreshes of one token, exactly one mints; the family never forks', async () => {
      const t = await s.login('racer');
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          s.call('POST', REFRESH, { body: { refresh_token: t.refresh_token } }),
        ),
      );
      // The rotation marks the token used under a row condition: one request wins it and
      // commits before any other can see it used. Every other is a reuse (401).
      const winners = results.filter((r) => r.statusCode === 200);
      expect(winners).toHaveLength(1);
      const losers = results.filter((r) => r.statusCode !== 200);
      expect(losers).toHaveLength(9);
      for (const l of losers) expect(l.statusCode).toBe(401);
      // A reuse ends the session family: even the winner's successor is refused.
      const next = await s.call('POST', REFRESH, {
        body: { refresh_token: winners[0]!.data.data.refresh_token },
      });
      expect(next.statusCode).toBe(401);
      const rows = await s.rt.db.kysely
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('used_at', 'is', null)
        .execute();
      const sessions = new Set(rows.map((r) => r.session_id));
      expect(rows.length).toBe(sessions.size);
    });

    it('an expired refresh token answers TOKEN_EXPIRED', async () => {
      const clock = new ManualClock(Date.now());
      const c = await createTestServer({
        dialect,
        clock,
        config: { refreshTokenTtl: 3600, sessionIdleTimeout: 7 * 86400 },
      });
      try {
        await c.register('expiring');
        const t = await c.login('expiring');
        clock.advance(3601_000);
        const r = await c.call('POST', REFRESH, { body: { refresh_token: t.refresh_token } });
        expect(r.statusCode).toBe(401);
        expect(r.data.error).toBe('TOKEN_EXPIRED');
      } finally {
        await c.close();
      }
    });

    it('an unknown refresh token answers TOKEN_INVALID', async () => {
      const r = await s.call('POST', REFRESH, { body: { refresh_token: `tsr_${'A'.repeat(43)}` } });
      expect(r.data.error).toBe('TOKEN_INVALID');
    });
  });

  describe('with a 10 s grace window', () => {
    let s: TestServer;
    const clock = new ManualClock(Date.now());
    beforeAll(async () => {
      s = await createTestServer({ dialect, clock, config: { refreshReuseGrace: 10 } });
      await s.register('tabs');
    });
    afterAll(() => s.close());

    it('a retry of the just-rotated token gets the same successor; the family survives', async () => {
      const t = await s.login('tabs');
      const a = await s.call('POST', REFRESH, { body: { refresh_token: t.refresh_token } });
      clock.advance(2000);
      const b = await s.call('POST', REFRESH, { body: { refresh_token: t.refresh_token } });
      expect(a.statusCode).toBe(200);
      expect(b.statusCode).toBe(200);
      expect(b.data.data.refresh_token).toBe(a.data.data.refresh_token);
      const next = await s.call('POST', REFRESH, {
        body: { refresh_token: a.data.data.refresh_token },
      });
      expect(next.statusCode).toBe(200);
    });

    it('concurrent refreshes of one token all get the same successor', async () => {
      const t = await s.login('tabs');
      const rs = await Promise.all(
        Array.from({ length: 6 }, () =>
          s.call('POST', REFRESH, { body: { refresh_token: t.refresh_token } }),
        ),
      );
      expect(rs.every((r) => r.statusCode === 200)).toBe(true);
      expect(new Set(rs.map((r) => r.data.data.refresh_token)).size).toBe(1);
    });

    it('after the window a reuse ends the family', async () => {
      const t = await s.login('tabs');
      const a = await s.call('POST', REFRESH, { body: { refresh_token: t.refresh_token } });
      clock.advance(11_000);
      const late = await s.call('POST', REFRESH, { body: { refresh_token: t.refresh_token } });
      expect(late.statusCode).toBe(401);
      expect(late.data.error).toBe('TOKEN_REVOKED');
      expect(
        (await s.call('POST', REFRESH, { body: { refresh_token: a.data.data.refresh_token } }))
          .statusCode,
      ).toBe(401);
    });
  });
});
