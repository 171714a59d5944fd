import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { allFields, loadAppConfig } from '../app/features.js';
import type { Config } from '../config/schema.js';
import type { Dialect } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import type { Runtime } from '../app/runtime.js';
import { createServer } from '../app/server.js';
import { dropSchema } from './db.js';
import { rememberSecret, rememberSecretsIn, rememberSetting } from './log-guard/secrets.js';
import { deletePrefix } from './redis.js';
import { pgUrl, redisUrl, uniqueName } from './services.js';

const ADMIN_PASSWORD = 'admin-test-password-1';
rememberSecret(ADMIN_PASSWORD);

export interface TestServer {
  app: FastifyInstance;
  /** The `/metrics` listener when the config sets metricsPort (not listening: inject into it). */
  metricsApp: FastifyInstance | undefined;
  rt: Runtime;
  config: Config;
  /** PostgreSQL schema / Redis prefix in use, to start a second node on the same state. */
  shared: { schema?: string; redisPrefix?: string };
  close(): Promise<void>;
  /** POST/GET JSON through app.inject. */
  call(
    method: string,
    url: string,
    opts?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse & { body: string; data: any }>;
  register(username: string, password?: string, email?: string): Promise<void>;
  login(
    username: string,
    password?: string,
    extra?: Record<string, unknown>,
  ): Promise<{
    access_token: string;
    refresh_token: string;
    expires_in: number;
    refresh_expires_in: number;
  }>;
  adminToken(): Promise<string>;
}

export interface TestServerOptions {
  dialect?: Dialect;
  redis?: boolean;
  config?: Partial<Config>;
  clock?: Clock;
  /** Join the state of another test server (second node). */
  join?: { schema?: string; redisPrefix?: string };
  /** Reach PostgreSQL at this URL instead (e.g. through a TcpProxy), same database. */
  pgUrl?: string;
}

/**
 * One Tessera node in process (app.inject, no port) on a private database:
 * SQLite in memory, or a fresh PostgreSQL schema; with `redis`, a private key prefix.
 */
export async function createTestServer(o: TestServerOptions = {}): Promise<TestServer> {
  const dialect = o.dialect ?? 'sqlite';
  const shared: { schema?: string; redisPrefix?: string } = { ...o.join };
  // A small RSA pool: every test node would otherwise spend ~10 s of CPU filling 64 key pairs.
  const overrides: Partial<Config> = {
    logLevel: 'silent',
    adminPassword: ADMIN_PASSWORD,
    rsaKeyPoolSize: 2,
    ...o.config,
  };
  if (dialect === 'postgres') {
    if (!pgUrl) throw new Error('PostgreSQL tests need TESSERA_TEST_DATABASE_URL');
    shared.schema ??= uniqueName('pg').toLowerCase();
    Object.assign(overrides, { databaseUrl: o.pgUrl ?? pgUrl, databaseSchema: shared.schema });
  }
  if (o.redis) {
    if (!redisUrl) throw new Error('Redis tests need TESSERA_TEST_REDIS_URL');
    shared.redisPrefix ??= `${uniqueName('rd')}:`;
    Object.assign(overrides, { redisUrl, redisPrefix: shared.redisPrefix });
  }
  const config = loadAppConfig({}, overrides);
  // The effective configuration is logged at start: its secret settings must be redacted there.
  for (const [name, f] of Object.entries(allFields()))
    if (f.secret) rememberSetting((config as unknown as Record<string, unknown>)[name]);
  const owner = !o.join;
  const server = await createServer(config, {
    ...(dialect === 'sqlite' ? { sqlitePath: ':memory:' } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    noHousekeeping: true,
  });
  const { app, rt } = server;

  const call: TestServer['call'] = async (method, url, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });
    let data: unknown;
    try {
      data = JSON.parse(res.body);
    } catch {
      data = undefined;
    }
    // What was sent or answered under a secret key is a secret no log line may show.
    rememberSecretsIn(opts.body, 'sent');
    rememberSecretsIn(data, 'answer');
    if (opts.token) rememberSecret(opts.token);
    return Object.assign(res, { data });
  };

  const t: TestServer = {
    app,
    metricsApp: server.metricsApp,
    rt,
    config,
    shared,
    call,
    async close() {
      await server.close();
      if (owner && shared.schema) await dropSchema(shared.schema);
      if (owner && shared.redisPrefix && redisUrl) {
        const { createRedis } = await import('../infra/redis.js');
        const r = createRedis(redisUrl, 'cleanup');
        await deletePrefix(r, shared.redisPrefix);
        r.disconnect();
      }
    },
    async register(username, password = 'a-strong-passphrase', email = `${username}@example.com`) {
      const r = await call('POST', '/api/public/auth/register', {
        body: { username, email, password },
      });
      if (r.statusCode !== 201) throw new Error(`register ${username}: ${r.statusCode} ${r.body}`);
    },
    async login(username, password = 'a-strong-passphrase', extra = {}) {
      const r = await call('POST', '/api/public/auth/login', {
        body: { username, password, ...extra },
      });
      if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
      return r.data.data;
    },
    async adminToken() {
      return (await t.login('admin', ADMIN_PASSWORD)).access_token;
    },
  };
  return t;
}
