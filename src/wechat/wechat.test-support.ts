import type { Config } from '../config/schema.js';
import type { Dialect } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import type { FakeWechat } from './fake-wechat.test-support.js';

/** The default tenant's mini-program (from the environment) in these tests. */
export const APP = 'wxdefault0000001';
const SECRET = 'default-app-secret';

/** A node whose WeChat API is the fake, with the default tenant's app from the environment. */
export function wechatServer(
  fake: FakeWechat,
  o: {
    dialect: Dialect;
    clock?: Clock;
    config?: Partial<Config>;
    join?: TestServer['shared'];
    env?: boolean;
  },
): Promise<TestServer> {
  fake.app(APP, SECRET);
  return createTestServer({
    dialect: o.dialect,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.join ? { join: o.join } : {}),
    config: {
      ...(o.env === false ? {} : { wechatAppId: APP, wechatAppSecret: SECRET }),
      wechatApiBase: fake.url,
      wechatTimeoutMs: 400,
      captchaAfterFailures: 1000,
      lockAfterFailures: 1000,
      loginAttemptsPerIpPerHour: 100_000,
      wechatExchangesPerIpPerMinute: 100_000,
      ...o.config,
    },
  });
}

/** POST /api/public/auth/wechat/login; answers the raw response. */
export function wxLogin(
  t: TestServer,
  code: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return t.call('POST', '/api/public/auth/wechat/login', { body: { code, ...extra }, headers });
}

/** The user id of an access token (GET /me). */
export async function userIdOf(t: TestServer, token: string): Promise<number> {
  const r = await t.call('GET', '/api/public/auth/me', { token });
  return r.data.data.userId as number;
}

/** Every row of the tables WeChat touches, as text (to look for secrets in). */
export async function dump(t: TestServer): Promise<string> {
  const k = t.rt.db.kysely;
  await t.rt.audit.flush();
  const tables = ['users', 'user_identities', 'audit_events', 'sessions', 'wechat_apps'] as const;
  const out: unknown[] = [];
  for (const table of tables) out.push(await k.selectFrom(table).selectAll().execute());
  return JSON.stringify(out);
}
