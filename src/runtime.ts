import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { Audit } from './audit/audit.js';
import { createSqlAudit } from './audit/sql-sink.js';
import {
  noCaptcha,
  noGuard,
  type AuthHooks,
  type CaptchaCheck,
  type LoginGuard,
  type PasswordDecryptor,
} from './auth/guard.js';
import { createAuthService, type AuthService } from './auth/service.js';
import type { Bus } from './bus/bus.js';
import { createMemoryBus } from './bus/memory.js';
import { createRedisBus } from './bus/redis.js';
import type { Config } from './config/schema.js';
import { openDb } from './db/kysely.js';
import { migrate } from './db/migrate.js';
import type { Db } from './db/types.js';
import { createDependencyHealth, outageOf, type DependencyHealth } from './infra/health.js';
import { createRedis, redisReady } from './infra/redis.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createKeyStore } from './keys/store.js';
import { createKeyring, type Keyring } from './keys/keyring.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createPasswordHasher, type PasswordHasher } from './passwords/hasher.js';
import { createLimiterFactory, type LimiterFactory } from './rate-limit/limiter.js';
import { createRoleService, type RoleService } from './roles/service.js';
import { createRoleStore } from './roles/store.js';
import { createLastSeen, lastSeenIntervalSec, type LastSeen } from './sessions/last-seen.js';
import { createRevocationList, type RevocationList } from './sessions/revocation.js';
import { createSessionService, type SessionService } from './sessions/service.js';
import { createSessionStore } from './sessions/store.js';
import { createSettingsService, type SettingsService } from './settings/service.js';
import { createAuthenticator, type Authenticator } from './tokens/authenticate.js';
import { accessTokenLifeMs } from './tokens/horizon.js';
import { createAccessIssuer, type AccessIssuer } from './tokens/issue.js';
import { createPairIssuer } from './tokens/pair.js';
import { createLoginFlow } from './login/flow.js';
import { accountStateStep } from './login/steps/account-state.js';
import { guardStep } from './login/steps/guard.js';
import { passwordStep } from './login/steps/password.js';
import { sessionStep } from './login/steps/session.js';
import { tokensStep } from './login/steps/tokens.js';
import { createRefreshStore, type RefreshStore } from './tokens/refresh-store.js';
import { createSigner } from './tokens/signer.js';
import { createVerifier, type Verifier } from './tokens/verifier.js';
import { createAccountService, type AccountService } from './users/account.js';
import { createUserService, type UserService } from './users/service.js';
import { createUserStore } from './users/store.js';
import { startHousekeeping } from './housekeeping.js';

/** Everything a running node holds: the composition root's output. */
export interface Runtime {
  config: Config;
  clock: Clock;
  log: Logger;
  db: Db;
  redis: Redis | undefined;
  /** Outages of the database and Redis: logged once each way, answered with 503. */
  health: DependencyHealth;
  /** Prometheus registry of this node (built per runtime: two apps in one process do not share it). */
  metrics: Metrics;
  /** Reports a failure of a background or after-commit step: an outage goes to `health`, anything else is logged. */
  report: (err: unknown, what: string) => void;
  bus: Bus;
  limiters: LimiterFactory;
  settings: SettingsService;
  roles: RoleService;
  keyring: Keyring;
  verifier: Verifier;
  revocations: RevocationList;
  lastSeen: LastSeen;
  authenticator: Authenticator;
  hasher: PasswordHasher;
  users: UserService;
  sessions: SessionService;
  refresh: RefreshStore;
  issuer: AccessIssuer;
  audit: Audit;
  auth: AuthService;
  /** Account changes and what they do to sessions and tokens (admin and self-service). */
  accounts: AccountService;
  /** How long an access token issued now can be accepted (TTL + skew), in ms. */
  tokenLifeMs: () => number;
  /** Login-flow steps modules plug in (brute-force guard, captcha, RSA decryptor). */
  hooks: AuthHooks;
  /** Stops timers and closes connections. */
  close(): Promise<void>;
  /** Extra shutdown steps registered by optional modules. */
  onClose(fn: () => Promise<void> | void): void;
}

export interface RuntimeOptions {
  clock?: Clock;
  log?: Logger;
  /** Replace SQLite's file (tests: ':memory:'). */
  sqlitePath?: string;
  guard?: LoginGuard;
  captcha?: CaptchaCheck;
  decryptor?: PasswordDecryptor;
  /** Skip background timers (tests drive them by hand). */
  noHousekeeping?: boolean;
}

/** Opens storage, migrates, and wires every service. */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? pino({ level: config.logLevel, base: { svc: 'tessera' } });
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    dataDir: config.dataDir,
    ...(opts.sqlitePath ? { sqlitePath: opts.sqlitePath } : {}),
  });
  const closers: (() => Promise<void> | void)[] = [];
  const health = createDependencyHealth(log.child({ mod: 'health' }));
  const dbDep = db.dialect === 'postgres' ? 'postgres' : 'sqlite';
  health.setProbe(dbDep, () => db.ping());
  const metrics = createMetrics();
  const report = (err: unknown, what: string) => {
    const dep = outageOf(err);
    metrics.backgroundFailures.inc({ step: what, dependency: dep ?? 'none' });
    if (dep) health.failed(dep, err);
    else log.error({ err, what }, 'background step failed');
  };
  try {
    await migrate(db);
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
    // Runs before the connections close at shutdown: a closing connection is no outage.
    closers.push(() => health.stop());
    const k = db.kysely;
    const limiters = createLimiterFactory(redis, config.redisPrefix);
    const settings = createSettingsService(config, k, bus, clock, (e) =>
      report(e, 'settings reload'),
    );
    const tokenLifeMs = accessTokenLifeMs(settings, config.clockSkew);
    await settings.start();
    const roles = createRoleService(createRoleStore(k), bus, (e) => report(e, 'roles reload'));
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
      db: k,
      dialect: db.dialect,
      store: sessionStore,
      revocations,
      settings,
      bus,
      audit,
      clock,
      clockSkewSec: config.clockSkew,
      lastSeen,
      onEffectError: (e) => report(e, 'session end'),
    });
    revocations.onRevoke((r) => {
      if (r.kind === 'sid') lastSeen.forget(r.value);
    });
    const refresh = createRefreshStore(k);
    const issuer = createAccessIssuer({
      signer: createSigner(keyring),
      roles,
      settings,
      clock,
      issuer: config.issuer,
      audience: config.audience,
      notBefore: revocations.userNotBefore,
    });
    const hooks: AuthHooks = {
      guard: opts.guard ?? noGuard,
      captcha: opts.captcha ?? noCaptcha,
      decryptor: opts.decryptor,
    };
    const guard = () => hooks.guard;
    // The login pipeline, in order (src/login/steps/, one file each).
    const loginFlow = createLoginFlow([
      guardStep({ guard, users, audit }),
      passwordStep({
        hasher,
        guard,
        decryptor: () => hooks.decryptor,
        audit,
        plainLogin: config.plainLogin,
      }),
      accountStateStep({ guard, users, audit, report }),
      sessionStep({
        db: k,
        sessions,
        refresh,
        settings,
        audit,
        clock,
        onEffectError: (e) => report(e, 'login'),
      }),
      tokensStep({ users, issuePair: createPairIssuer(issuer, clock) }),
    ]);
    const auth = createAuthService({
      loginFlow,
      db: k,
      users,
      sessions,
      refresh,
      issuer,
      settings,
      audit,
      clock,
      hooks,
      refreshGraceSec: config.refreshReuseGrace,
      onEffectError: (e) => report(e, 'login'),
    });
    const accounts = createAccountService({
      db: k,
      users,
      sessions,
      revocations,
      roles,
      hasher,
      audit,
      clock,
      tokenLifeMs,
      onEffectError: (e) => report(e, 'account change'),
    });
    const rt: Runtime = {
      config,
      clock,
      log,
      db,
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
      refresh,
      issuer,
      audit,
      auth,
      accounts,
      hooks,
      tokenLifeMs,
      onClose: (fn) => closers.push(fn),
      async close() {
        for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
        closers.length = 0;
        await bus.close();
        await db.close();
      },
    };
    if (!opts.noHousekeeping) closers.push(startHousekeeping(rt));
    return rt;
  } catch (e) {
    health.stop();
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
    await db.close().catch(() => {});
    throw e;
  }
}
