import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { Audit } from '../audit/audit.js';
import { createSqlAudit } from '../audit/sql-sink.js';
import type { Bus } from '../bus/bus.js';
import { createMemoryBus } from '../bus/memory.js';
import { createRedisBus } from '../bus/redis.js';
import type { Config } from '../config/schema.js';
import type { Core } from '../feature/contract.js';
import { openDb } from '../db/kysely.js';
import { migrate, type MigrationStep } from '../db/migrate.js';
import { DEFAULT_TENANT, tenantSql } from '../db/scope.js';
import { createDependencyHealth, outageOf } from '../infra/health.js';
import { createRedis, redisReady } from '../infra/redis.js';
import { createKeyring } from '../keys/keyring.js';
import { createKeyStore } from '../keys/store.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { createMetrics } from '../ops/metrics.js';
import { createPasswordHasher } from '../passwords/hasher.js';
import { createLimiterFactory } from '../rate-limit/limiter.js';
import { PERMISSIONS } from '../roles/catalog.js';
import { createRoleService } from '../roles/service.js';
import { createRoleStore } from '../roles/store.js';
import { createSessionActions } from '../sessions/actions.js';
import { createLastSeen, lastSeenIntervalSec } from '../sessions/last-seen.js';
import { createRevocationList } from '../sessions/revocation.js';
import { createSessionService } from '../sessions/service.js';
import { createSessionStore } from '../sessions/store.js';
import { createSettingsService, type ExtraSettings } from '../settings/service.js';
import { createAuthenticator } from '../tokens/authenticate.js';
import { accessTokenLifeMs } from '../tokens/horizon.js';
import { createAccessIssuer } from '../tokens/issue.js';
import { createRefreshStore } from '../tokens/refresh-store.js';
import { createSigner } from '../tokens/signer.js';
import { createVerifier } from '../tokens/verifier.js';
import { createAccountService } from '../users/account.js';
import { createUserService } from '../users/service.js';
import { createUserStore } from '../users/store.js';

export interface CoreOptions {
  clock?: Clock | undefined;
  log?: Logger | undefined;
  /** Replace SQLite's file (tests: ':memory:'). */
  sqlitePath?: string | undefined;
  /** What the features declare: their migrations, permissions and dynamic settings. */
  migrations: Readonly<Record<string, MigrationStep>>;
  permissions: readonly string[];
  settings: ExtraSettings;
}

/**
 * The ground floor: storage opened and migrated, then every service the
 * features build on, in dependency order. `closers` stop them (reverse order).
 */
export async function openCore(
  config: Config,
  o: CoreOptions,
): Promise<{ core: Core; closers: (() => Promise<void> | void)[] }> {
  const clock = o.clock ?? systemClock;
  const log = o.log ?? pino({ level: config.logLevel, base: { svc: 'tessera' } });
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    dataDir: config.dataDir,
    ...(o.sqlitePath ? { sqlitePath: o.sqlitePath } : {}),
  });
  const closers: (() => Promise<void> | void)[] = [];
  const health = createDependencyHealth(log.child({ mod: 'health' }));
  health.setProbe(db.dialect === 'postgres' ? 'postgres' : 'sqlite', () => db.ping());
  const metrics = createMetrics();
  const report = (err: unknown, what: string) => {
    const dep = outageOf(err);
    metrics.backgroundFailures.inc({ step: what, dependency: dep ?? 'none' });
    if (dep) health.failed(dep, err);
    else log.error({ err, what }, 'background step failed');
  };
  closers.push(() => db.close());
  try {
    await migrate(db, o.migrations);
    let redis: Redis | undefined;
    let bus: Bus;
    if (config.redisUrl) {
      redis = createRedis(config.redisUrl, 'cmd', { failFast: true, health });
      const sub = createRedis(config.redisUrl, 'sub');
      bus = createRedisBus(redis, sub, config.redisPrefix, (e) => report(e, 'pub/sub'));
      closers.push(() => {
        sub.disconnect();
        redis!.disconnect();
      });
      await redisReady(redis);
      await redis.ping();
    } else bus = createMemoryBus();
    closers.push(() => bus.close());
    // Runs before the connections close at shutdown: a closing connection is no outage.
    closers.push(() => health.stop());
    // Every store reads and writes through a tenant scope (db/scope.ts). Until
    // requests name their tenant, the services are those of the default one.
    const tsql = tenantSql(db.kysely);
    const k = tsql.scope(DEFAULT_TENANT);
    const limiters = createLimiterFactory(redis, config.redisPrefix);
    const settings = createSettingsService(
      config,
      k,
      bus,
      clock,
      (e) => report(e, 'settings reload'),
      o.settings,
    );
    const tokenLifeMs = accessTokenLifeMs(settings, config.clockSkew);
    await settings.start();
    const roles = createRoleService(createRoleStore(k), bus, (e) => report(e, 'roles reload'), [
      ...PERMISSIONS,
      ...o.permissions,
    ]);
    await roles.start();
    const keyring = createKeyring({
      alg: config.jwtAlgorithm as 'RS256',
      privateKeyFile: config.jwtPrivateKeyFile,
      secret: config.jwtSecret,
      store: createKeyStore(k),
      bus,
      clock,
      maxTokenLifetimeMs: tokenLifeMs,
      onError: (e) => report(e, 'keys reload'),
    });
    await keyring.start();
    const verifier = createVerifier({
      keyring,
      clock,
      issuer: config.issuer,
      audience: config.audience,
      clockSkewSec: config.clockSkew,
      maxAgeSec: () => settings.get().accessTokenTtl,
      cacheSize: config.tokenCacheSize,
    });
    const revocations = createRevocationList(k, bus, clock, {
      dialect: db.dialect,
      pollMs: config.revocationPollMs,
      maxTokenLifetimeMs: tokenLifeMs,
      onError: (e) => report(e, 'revocations'),
    });
    await revocations.start();
    closers.push(() => revocations.stop());
    const sessionStore = createSessionStore(k);
    const lastSeen = createLastSeen(
      sessionStore,
      clock,
      () => lastSeenIntervalSec(settings.get()),
      undefined,
      (e) => report(e, 'last-seen flush'),
    );
    lastSeen.start();
    closers.push(() => lastSeen.stop());
    const authenticator = createAuthenticator({ verifier, revocations, keyring, lastSeen });
    const hasher = createPasswordHasher();
    const users = createUserService({ db: k, store: createUserStore(k), hasher, roles, clock });
    const sqlAudit = createSqlAudit(k, clock, (e) => report(e, 'audit write'));
    closers.push(() => sqlAudit.stop());
    const audit: Audit = sqlAudit;
    const sessions = createSessionService({
      tokenLifeMs,
      db: k,
      dialect: db.dialect,
      store: sessionStore,
      revocations,
      settings,
      bus,
      audit,
      clock,
      lastSeen,
      onEffectError: (e) => report(e, 'session end'),
    });
    revocations.onRevoke((r) => {
      if (r.kind === 'sid') lastSeen.forget(r.value);
    });
    const issuer = createAccessIssuer({
      signer: createSigner(keyring),
      roles,
      settings,
      clock,
      issuer: config.issuer,
      audience: config.audience,
      notBefore: revocations.userNotBefore,
    });
    const common = { db: k, audit, clock, tokenLifeMs };
    const accounts = createAccountService({
      ...common,
      users,
      sessions,
      revocations,
      roles,
      hasher,
      onEffectError: (e) => report(e, 'account change'),
    });
    const sessionActions = createSessionActions({
      ...common,
      sessions,
      revocations,
      clockSkewSec: config.clockSkew,
      onEffectError: (e) => report(e, 'session end'),
    });
    const core: Core = {
      config,
      clock,
      log,
      db,
      sql: tsql,
      redis,
      health,
      metrics,
      report,
      bus,
      limiters,
      settings,
      roles,
      keyring,
      verifier,
      revocations,
      lastSeen,
      authenticator,
      hasher,
      users,
      sessions,
      sessionActions,
      refresh: createRefreshStore(k),
      issuer,
      audit,
      accounts,
      tokenLifeMs,
    };
    return { core, closers };
  } catch (e) {
    await closeAll(closers);
    throw e;
  }
}

/** Runs shutdown steps in reverse order; one failing does not stop the others. */
export async function closeAll(closers: (() => Promise<void> | void)[]): Promise<void> {
  for (const c of closers.splice(0).reverse()) await Promise.resolve(c()).catch(() => {});
}
