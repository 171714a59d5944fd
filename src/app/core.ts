import type { Logger } from 'pino';
import { tenantAudit, type Audit } from '../audit/audit.js';
import { createSqlAudit } from '../audit/sql-sink.js';
import type { Bus } from '../bus/bus.js';
import { createMemoryBus } from '../bus/memory.js';
import { tenantBus } from '../bus/tenant.js';
import { createRedisBus } from '../bus/redis.js';
import type { Config } from '../config/schema.js';
import type { Core, TenantCore } from '../feature/contract.js';
import { openDb } from '../db/kysely.js';
import { migrate, type MigrationStep } from '../db/migrate.js';
import { DEFAULT_TENANT, tenantSql, type TenantId } from '../db/scope.js';
import { createDependencyHealth, outageOf } from '../infra/health.js';
import { createLogger } from '../infra/log.js';
import { createRedis, redisReady, redisTarget, type RedisClient } from '../infra/redis.js';
import { resealAll, sealerFromConfig } from '../infra/sealing.js';
import { createKeyring } from '../keys/keyring.js';
import { createKeyStore } from '../keys/store.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { createMetrics } from '../ops/metrics.js';
import { createPasswordHasher } from '../passwords/hasher.js';
import { createPasswordPolicy } from '../passwords/policy.js';
import { createPwnedCheck } from '../passwords/pwned.js';
import { createLimiterFactory } from '../rate-limit/limiter.js';
import { PERMISSIONS } from '../roles/catalog.js';
import { createRoleService } from '../roles/service.js';
import { createRoleStore } from '../roles/store.js';
import { createSessionActions } from '../sessions/actions.js';
import { createLastSeen, lastSeenIntervalSec } from '../sessions/last-seen.js';
import { createRevocationList, type RevocationList } from '../sessions/revocation.js';
import { createSessionService } from '../sessions/service.js';
import { registerSessionMetrics } from '../sessions/metrics.js';
import { createSessionStore } from '../sessions/store.js';
import { createSessionTable } from '../sessions/table.js';
import {
  createSettingsService,
  type ExtraSettings,
  type SettingsService,
} from '../settings/service.js';
import { createTenantCache, tenantIssuer } from '../tenancy/cache.js';
import { createTenantRegistry } from '../tenancy/registry.js';
import { createAuthenticator } from '../tokens/authenticate.js';
import { accessTokenLifeMs } from '../tokens/horizon.js';
import { createAccessIssuer } from '../tokens/issue.js';
import { registerRefreshMetrics } from '../tokens/metrics.js';
import { createRefreshStore } from '../tokens/refresh-store.js';
import { createSigner } from '../tokens/signer.js';
import { createVerifier } from '../tokens/verifier.js';
import { createIdentityService } from '../identities/service.js';
import { createIdentityStore } from '../identities/store.js';
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
  const log = o.log ?? (await createLogger(config));
  // Before any I/O: a bad or missing master key stops the start with its message.
  const sealer = sealerFromConfig(config);
  const metrics = createMetrics();
  const db = await openDb({
    onQuery: (sec, failed) => (failed ? metrics.sql.error : metrics.sql.ok).observe(sec),
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    dataDir: config.dataDir,
    ...(o.sqlitePath ? { sqlitePath: o.sqlitePath } : {}),
  });
  const closers: (() => Promise<void> | void)[] = [];
  const health = createDependencyHealth(log.child({ mod: 'health' }));
  health.setProbe(db.dialect === 'postgres' ? 'postgres' : 'sqlite', () => db.ping());
  const report = (err: unknown, what: string) => {
    const dep = outageOf(err);
    metrics.backgroundFailures.inc({ step: what, dependency: dep ?? 'none' });
    if (dep) health.failed(dep, err);
    else log.error({ err, what }, 'background step failed');
  };
  closers.push(() => db.close());
  try {
    await migrate(db, o.migrations);
    let redis: RedisClient | undefined;
    let bus: Bus;
    const target = redisTarget(config);
    if (target) {
      redis = createRedis(target, 'cmd', {
        failFast: true,
        health,
        onCommand: (sec, failed) => (failed ? metrics.redis.error : metrics.redis.ok).observe(sec),
      });
      const sub = createRedis(target, 'sub');
      bus = createRedisBus(
        redis,
        sub,
        config.redisPrefix,
        (e) => report(e, 'pub/sub'),
        (sec) => metrics.busLag.observe(sec),
      );
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
    // Every store reads and writes through a tenant scope (db/scope.ts).
    const tsql = tenantSql(db.kysely);
    // Secrets stored in the clear before a master key was set are sealed now.
    if (sealer.current !== null) {
      const sealed = await resealAll(
        tsql.all('stored secrets of every tenant are sealed'),
        sealer,
        { onlyClear: true },
      );
      if (sealed.resealed) log.info({ sealed: sealed.resealed }, 'stored secrets sealed');
    }
    const limiters = createLimiterFactory(redis, config.redisPrefix);
    const hasher = createPasswordHasher();
    const pwned = config.pwnedRangeUrl
      ? createPwnedCheck({
          baseUrl: config.pwnedRangeUrl,
          timeoutMs: config.pwnedTimeoutMs,
          onError: (e) =>
            log.warn({ err: e }, 'breached-password check failed; password let through'),
        })
      : undefined;
    const sqlAudit = createSqlAudit(tsql.scope, clock, (e) => report(e, 'audit write'));
    closers.push(() => sqlAudit.stop());
    closers.push(registerRefreshMetrics(metrics.registry, sqlAudit));
    // The revocation set and last-seen address sessions, jti and users by
    // ids unique across tenants: one of each per node, read over all tenants.
    // Writes go through the caller's unit, so each row is its tenant's.
    const revocations = createRevocationList(
      tsql.all('the revocation set holds every tenant: its ids are unique across them'),
      bus,
      clock,
      {
        dialect: db.dialect,
        pollMs: config.revocationPollMs,
        maxTokenLifetimeMs: () => deploymentLifeMs(),
        onError: (e) => report(e, 'revocations'),
      },
    );
    let deploymentLifeMs = () => 0;
    const lastSeen = createLastSeen(
      createSessionStore(tsql.all('last-seen touches sessions by their global ids')),
      clock,
      () => lastSeenIntervalSec(defaultTenant.settings.get()),
      undefined,
      (e) => report(e, 'last-seen flush'),
    );
    // Which sessions are live, for the hot path: one table per node, every tenant.
    const sessionTable = createSessionTable(clock, config.sessionTableSize);
    const tableSweep = setInterval(() => sessionTable.sweep(), 60_000);
    tableSweep.unref();
    closers.push(() => clearInterval(tableSweep));
    const everySession = createSessionStore(
      tsql.all('the live-sessions gauge counts every tenant'),
    );
    registerSessionMetrics(metrics.registry, {
      table: sessionTable,
      revocations,
      liveCount: (now) => everySession.liveCount(now),
      clock,
      onError: (e) => report(e, 'sessions count'),
    });
    revocations.onRevoke((r) => {
      if (r.kind !== 'sid') return;
      lastSeen.forget(r.value);
      sessionTable.forget(r.value);
    });

    /** The revocation set as a tenant's services write to it: each revocation names its tenant (the feed filters by it). */
    const revocationsOf = (tenant: TenantId): RevocationList => ({
      ...revocations,
      persist: (u, r) => revocations.persist(u, { ...r, tenant }),
      revoke: (r, u) => revocations.revoke({ ...r, tenant }, u),
    });

    /** One tenant's services: its settings overlay, roles, keys, users, sessions, tokens. */
    const buildTenant = async (
      tenant: TenantId,
      fallback?: SettingsService,
    ): Promise<TenantCore & { stop(): Promise<void> }> => {
      const k = tsql.scope(tenant);
      const tbus = tenantBus(bus, tenant);
      const settings = createSettingsService(
        config,
        k,
        tbus,
        clock,
        (e) => report(e, 'settings reload'),
        o.settings,
        fallback,
      );
      const tokenLifeMs = accessTokenLifeMs(settings, config.clockSkew);
      await settings.start();
      const roles = createRoleService(createRoleStore(k), tbus, (e) => report(e, 'roles reload'), [
        ...PERMISSIONS,
        ...o.permissions,
      ]);
      await roles.start();
      const keyring = createKeyring({
        alg: config.jwtAlgorithm as 'RS256',
        privateKeyFile: config.jwtPrivateKeyFile,
        sealer,
        secret: config.jwtSecret,
        store: createKeyStore(k),
        bus: tbus,
        clock,
        maxTokenLifetimeMs: tokenLifeMs,
        onError: (e) => report(e, 'keys reload'),
      });
      await keyring.start();
      const iss = tenantIssuer(config.issuer, tenant);
      const verifier = createVerifier({
        keyring,
        clock,
        issuer: iss,
        audience: config.audience,
        tenant,
        clockSkewSec: config.clockSkew,
        maxAgeSec: () => settings.get().accessTokenTtl,
        cacheSize: config.tokenCacheSize,
      });
      const sessionStore = createSessionStore(k);
      const authenticator = createAuthenticator({
        verifier,
        revocations,
        keyring,
        lastSeen,
        tenant,
        sessions: sessionTable,
        readSession: (sid) => sessionStore.get(sid),
      });
      const policy = createPasswordPolicy({
        minScore: () => settings.get().passwordMinScore,
        pwned,
      });
      const users = createUserService({
        db: k,
        store: createUserStore(k),
        hasher,
        roles,
        clock,
        policy,
      });
      const audit: Audit = tenantAudit(sqlAudit, tenant);
      const tenantRevocations = revocationsOf(tenant);
      const sessions = createSessionService({
        tokenLifeMs,
        db: k,
        dialect: db.dialect,
        store: sessionStore,
        revocations: tenantRevocations,
        settings,
        bus,
        audit,
        clock,
        lastSeen,
        onEffectError: (e) => report(e, 'session end'),
      });
      const issuer = createAccessIssuer({
        signer: createSigner(keyring),
        roles,
        settings,
        clock,
        issuer: iss,
        audience: config.audience,
        tenant,
        notBefore: revocations.userNotBefore,
        sessions: sessionTable,
      });
      const common = { db: k, audit, clock, tokenLifeMs };
      const accounts = createAccountService({
        ...common,
        users,
        sessions,
        revocations: tenantRevocations,
        roles,
        hasher,
        onEffectError: (e) => report(e, 'account change'),
      });
      const sessionActions = createSessionActions({
        ...common,
        sessions,
        revocations: tenantRevocations,
        clockSkewSec: config.clockSkew,
        onEffectError: (e) => report(e, 'session end'),
      });
      return {
        tenant,
        settings,
        roles,
        keyring,
        verifier,
        authenticator,
        users,
        sessions,
        sessionActions,
        refresh: createRefreshStore(k),
        issuer,
        audit,
        accounts,
        identities: createIdentityService({
          db: k,
          store: createIdentityStore(k),
          users,
          audit,
          clock,
          onEffectError: (e) => report(e, 'identity change'),
        }),
        tokenLifeMs,
        stop: async () => {
          settings.stop();
          await tbus.close();
        },
      };
    };

    const tenants = createTenantRegistry(tsql.shared, bus, clock, (e) =>
      report(e, 'tenants reload'),
    );
    await tenants.start();
    const defaultTenant = await buildTenant(DEFAULT_TENANT);
    closers.push(() => defaultTenant.stop());
    deploymentLifeMs = defaultTenant.tokenLifeMs;
    await revocations.start();
    closers.push(() => revocations.stop());
    lastSeen.start();
    closers.push(() => lastSeen.stop());
    const tenantCores = createTenantCache(
      (t) => buildTenant(t, defaultTenant.settings),
      config.tenantCacheSize,
    );
    tenantCores.put(DEFAULT_TENANT, defaultTenant);
    // A tenant disabled or deleted on any node leaves every node's cache.
    tenants.onChange((before, after) => {
      for (const id of before.keys())
        if (after.get(id)?.status !== 'active') tenantCores.forget(id as TenantId);
    });
    closers.push(() => tenantCores.close());
    const { stop: _stop, ...defaultServices } = defaultTenant;
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
      hasher,
      revocations,
      lastSeen,
      sessionTable,
      sealer,
      ...defaultServices,
      tenants,
      tenantCore: (t) => tenantCores.get(t),
      loadedTenants: () => tenantCores.loaded(),
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
