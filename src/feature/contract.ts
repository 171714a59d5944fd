import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../infra/redis.js';
import type { Logger } from 'pino';
import type { Audit } from '../audit/audit.js';
import type { CaptchaCheck, PasswordDecryptor } from '../login/guard.js';
import type { AuthService } from '../auth/service.js';
import type { Bus } from '../bus/bus.js';
import type { Config, Field } from '../config/schema.js';
import type { MigrationStep } from '../db/migrate.js';
import type { TenantId, TenantSql } from '../db/scope.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import type { Db } from '../db/types.js';
import type { DependencyHealth } from '../infra/health.js';
import type { Keyring } from '../keys/keyring.js';
import type { Clock } from '../lib/clock.js';
import type { LoginStep } from '../login/pipeline.js';
import type { Metrics } from '../ops/metrics.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { LimiterFactory } from '../rate-limit/limiter.js';
import type { RoleService } from '../roles/service.js';
import type { SessionActions } from '../sessions/actions.js';
import type { SessionTable } from '../sessions/table.js';
import type { Sealer } from '../lib/seal.js';
import type { LastSeen } from '../sessions/last-seen.js';
import type { RevocationList } from '../sessions/revocation.js';
import type { SessionService } from '../sessions/service.js';
import type { SettingsService } from '../settings/service.js';
import type { Authenticator } from '../tokens/authenticate.js';
import type { AccessIssuer } from '../tokens/issue.js';
import type { RefreshStore } from '../tokens/refresh-store.js';
import type { Verifier } from '../tokens/verifier.js';
import type { AccountService } from '../users/account.js';
import type { UserService } from '../users/service.js';
import type { ErrorDef } from '../contract/errors.js';
import type { IdentityService } from '../identities/service.js';

/**
 * The feature contract: what a domain folder declares to join the product.
 * The composition root (src/app/) reads the list in src/app/features.ts,
 * applies every feature's migrations, error codes, permissions, config fields
 * and dynamic settings, starts the features in dependency order, assembles
 * the login pipeline from their steps, mounts their routes and runs their
 * jobs; at shutdown it stops them in reverse order. Nothing here is global:
 * building the app twice in one process builds every feature twice.
 */

/**
 * One tenant's services: its settings (falling back to the deployment's),
 * roles, signing keys, token issuer and verifier, users, sessions and audit.
 * Built on the tenant's first request and kept in a bounded cache
 * (src/tenancy/cache.ts); every store inside queries through the tenant's
 * scope (src/db/scope.ts).
 */
export interface TenantCore {
  tenant: TenantId;
  settings: SettingsService;
  roles: RoleService;
  keyring: Keyring;
  verifier: Verifier;
  authenticator: Authenticator;
  users: UserService;
  sessions: SessionService;
  /** Ending sessions and refusing tokens on request (logout-all, force logout, denylist), with their audit rows. */
  sessionActions: SessionActions;
  refresh: RefreshStore;
  issuer: AccessIssuer;
  /** This tenant's audit trail. */
  audit: Audit;
  /** Account changes and what they do to sessions and tokens (admin and self-service). */
  accounts: AccountService;
  /** External identities (WeChat, OAuth providers) of the tenant's users: src/identities/. */
  identities: IdentityService;
  /** How long an access token issued now can be accepted (TTL + skew), in ms. */
  tokenLifeMs: () => number;
}

/**
 * The services every node has before any feature starts (src/app/core.ts
 * builds them): what the deployment shares, and, spread in, the default
 * tenant's services.
 */
export interface Core extends TenantCore {
  config: Config;
  clock: Clock;
  log: Logger;
  db: Db;
  /** The tables through a tenant scope: what every store uses (db/scope.ts). */
  sql: TenantSql;
  redis: RedisClient | undefined;
  /** Outages of the database and Redis: logged once each way, answered with 503. */
  health: DependencyHealth;
  /** Prometheus registry of this node (two apps in one process do not share it). */
  metrics: Metrics;
  /** Reports a failed background or after-commit step: an outage goes to `health`, anything else is logged and counted. */
  report: (err: unknown, what: string) => void;
  bus: Bus;
  limiters: LimiterFactory;
  hasher: PasswordHasher;
  /** Revoked sessions, tokens and users of every tenant (their ids are unique across tenants). */
  revocations: RevocationList;
  lastSeen: LastSeen;
  /** Seals secrets stored in the database (decision 0011): use it for every secret a feature keeps. */
  sealer: Sealer;
  /** Which sessions are live, per node (the hot path's session check). */
  sessionTable: SessionTable;
  /** The tenants of the deployment, in memory on every node. */
  tenants: TenantRegistry;
  /** A tenant's services, built on first use (the tenant must exist: resolution checks first). */
  tenantCore(tenant: TenantId): Promise<TenantCore>;
  /** The tenants whose services this node holds (the default one included), for jobs such as session expiry. */
  loadedTenants(): Promise<TenantCore[]>;
}

/**
 * Services features provide to each other, by name. A feature adds its own
 * entry from its folder with declaration merging:
 *
 *   declare module '../feature/contract.js' {
 *     interface FeatureServices { presence: PresenceHandle }
 *   }
 *
 * Two entries are well known: the login pipeline and register use them when
 * some feature provides them.
 */
export interface FeatureServices {
  /** Decrypts a password sent under a one-time key (encrypted login). */
  passwordDecryptor: PasswordDecryptor;
  /** Human verification for register and other flows. */
  captcha: CaptchaCheck;
}

/** What a started feature sees: the core, and what the features it needs provided. */
export interface FeatureContext {
  core: Core;
  services: Readonly<Partial<FeatureServices>>;
}

/** Everything assembled: the core, the login service built on every feature's steps, and the features' services. */
export interface Services extends Core {
  auth: AuthService;
  features: Readonly<Partial<FeatureServices>>;
  /** A tenant's services with its login (the tenant must exist and be active: resolution checks first). */
  forTenant(tenant: TenantId): Promise<TenantServices>;
}

/** One tenant's services and its login pipeline: what a request's handlers use (`req.tenantServices`). */
export interface TenantServices extends TenantCore {
  auth: AuthService;
}

/** Routes a feature mounts: inside the context path (`api`), at the root, or as a global hook (`setup`). */
export interface RouteSet {
  /** Registered inside the context path (e.g. /api). */
  api?: (app: FastifyInstance) => Promise<void>;
  /** Registered at the root. */
  root?: (app: FastifyInstance) => Promise<void>;
  /** Runs on the root instance before any route exists, unencapsulated: hooks every route inherits. */
  setup?: (app: FastifyInstance) => void | Promise<void>;
}

/** A periodic background job; idempotent, since every node runs it. Failures are reported, never thrown. */
export interface Job {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/** What `start` returns. */
export interface Started {
  /** Services for later features and for the root (see FeatureServices). */
  provides?: Partial<FeatureServices>;
  /** Steps this feature adds to the login pipeline, each at its stage (src/login/pipeline.ts). */
  loginSteps?: LoginStep[];
  /** Its routes, built once every feature has started (the login service exists by then). */
  routes?: (s: Services) => RouteSet[];
  jobs?: Job[];
  /** Stops timers and connections; runs in reverse start order at shutdown. */
  stop?: () => Promise<void> | void;
}

export interface Feature {
  readonly name: string;
  /** Features whose services this one uses: started first; a missing one is a start-up error. */
  readonly needs?: readonly string[];
  /** Migrations by name ("0006_mfa"), run with the core's in name order. Append only. */
  readonly migrations?: Readonly<Record<string, MigrationStep>>;
  /** Error codes this feature answers with (status, en and zh-CN). */
  readonly errors?: Readonly<Record<string, ErrorDef>>;
  /** Permissions its routes require; the built-in admin role holds them all. */
  readonly permissions?: readonly string[];
  /** Config fields it reads (env name, kind, default, doc), added to the one config table. */
  readonly config?: Readonly<Record<string, Field>>;
  /** Names of its config fields an administrator may change at run time. */
  readonly settings?: readonly string[];
  start(ctx: FeatureContext): Promise<Started> | Started;
}

/** A service a feature cannot work without (it lists the provider in `needs`). */
export function need<K extends keyof FeatureServices>(
  services: Readonly<Partial<FeatureServices>>,
  name: K,
): FeatureServices[K] {
  const svc = services[name];
  if (svc === undefined) throw new Error(`service ${String(name)} is not provided by any feature`);
  return svc;
}
