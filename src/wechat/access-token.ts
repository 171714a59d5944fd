import type { TenantId } from '../db/scope.js';
import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import { fail } from '../lib/errors.js';
import type { ResolvedApp } from './apps.js';
import { AccessTokenRejected, type WechatClient } from './client.js';
import type { WechatStore } from './store.js';

/** A token is replaced this long before it expires (stable_token hands out a new one in its last 5 minutes). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** How often a node waiting for another's refresh looks again. */
const POLL_MS = 25;

/**
 * Each app's WeChat access token, cached in its `wechat_apps` row (sealed)
 * and shared by every node. A token needing a refresh (missing, or within
 * 5 minutes of its expiry by the injectable clock) is fetched by ONE node:
 * the one whose conditional update took the row's lease (lease_owner,
 * lease_until). The others poll the row until the new token is there, or
 * the lease lapses (its holder died) and one of them takes it. SQL rather
 * than Redis: every deployment has the database, Redis is optional, and the
 * token is a secret that belongs sealed at rest anyway.
 */
export function createAccessTokens(d: {
  client: WechatClient;
  storeOf: (t: TenantId) => WechatStore;
  clock: Clock;
  /** How long one call to WeChat may take: the lease lasts twice that. */
  timeoutMs: number;
}) {
  const leaseMs = 2 * d.timeoutMs;

  async function get(
    tenant: TenantId,
    app: ResolvedApp,
  ): Promise<{ token: string; stored: string; rowId: string }> {
    const store = d.storeOf(tenant);
    const row = await store.ensure(app.appId, randomId(), d.clock.now());
    // Real time bounds the wait (a holder's call is bounded by the timeout); the clock decides freshness.
    const deadline = performance.now() + leaseMs + d.timeoutMs;
    for (;;) {
      const now = d.clock.now();
      const current = await store.byAppId(app.appId);
      if (!current) fail('WECHAT_NOT_CONFIGURED');
      const cached = store.tokenOf(current);
      if (cached && cached.expiresAt > now + REFRESH_MARGIN_MS)
        return { token: cached.token, stored: cached.stored, rowId: row.id };
      const owner = randomId();
      if (await store.claim(row.id, owner, now, now + leaseMs, now + REFRESH_MARGIN_MS)) {
        try {
          const t = await d.client.stableToken(app);
          const at = d.clock.now();
          await store.fill(row.id, owner, t.accessToken, at + t.expiresIn * 1000, at);
          const filled = store.tokenOf((await store.byAppId(app.appId))!);
          return { token: t.accessToken, stored: filled?.stored ?? '', rowId: row.id };
        } catch (e) {
          await store.release(row.id, owner);
          throw e;
        }
      }
      if (performance.now() > deadline) fail('WECHAT_TIMEOUT');
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  return {
    /**
     * Calls `fn` with the app's access token; a token WeChat refuses
     * (expired or revoked early) is dropped and `fn` runs once more with a new one.
     */
    async withToken<T>(
      tenant: TenantId,
      app: ResolvedApp,
      fn: (token: string) => Promise<T>,
    ): Promise<T> {
      for (let attempt = 0; ; attempt++) {
        const t = await get(tenant, app);
        try {
          return await fn(t.token);
        } catch (e) {
          if (!(e instanceof AccessTokenRejected)) throw e;
          await d.storeOf(tenant).drop(t.rowId, t.stored);
          if (attempt > 0)
            fail('WECHAT_UNAVAILABLE', { logMessage: 'WeChat refused a fresh access token' });
        }
      }
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
