import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import type {
  Feature,
  RouteSet,
  Services,
  TenantCore,
  TenantServices,
} from '../feature/contract.js';
import type { Clock } from '../lib/clock.js';
import { closeAll, openCore } from './core.js';
import { FEATURES } from './features.js';
import { startHousekeeping } from './housekeeping.js';
import { declarationsOf, orderFeatures, startFeatures } from './lifecycle.js';
import { assembleAuth } from './login.js';
import { createLoginMetrics } from '../login/metrics.js';

/** Everything a running node holds: the composition root's output. */
export interface Runtime extends Services {
  /** The features' routes, in start order (buildApp mounts them). */
  routes: RouteSet[];
  /** The features, in the order they started. */
  featureNames: readonly string[];
  /** Stops the features (reverse order), timers and connections. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  log?: Logger;
  /** Replace SQLite's file (tests: ':memory:'). */
  sqlitePath?: string;
  /** Skip background timers (tests drive them by hand). */
  noHousekeeping?: boolean;
  /** The features to build (default: src/app/features.ts). */
  features?: readonly Feature[];
}

/**
 * The composition root: opens the core (storage, migrations, the core
 * services), starts the features in dependency order, assembles the login
 * pipeline from the core's and the features' steps, and collects the
 * features' routes and jobs. Nothing is kept outside the returned object, so
 * a process may build any number of runtimes.
 */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const features = orderFeatures(opts.features ?? FEATURES);
  const decl = declarationsOf(features);
  const { core, closers } = await openCore(config, {
    clock: opts.clock,
    log: opts.log,
    sqlitePath: opts.sqlitePath,
    migrations: decl.migrations,
    permissions: decl.permissions,
    settings: decl.settings,
  });
  try {
    const started = await startFeatures(features, core, closers);
    const outcome = createLoginMetrics(core.metrics.registry);
    const auth = assembleAuth(core, started.services, started.loginSteps, core, outcome);
    // A tenant's login is assembled once per built tenant (its services are cached in the core).
    const withAuth = new WeakMap<TenantCore, TenantServices>();
    const forTenant = async (t: TenantId): Promise<TenantServices> => {
      const tc = await core.tenantCore(t);
      let ts = withAuth.get(tc);
      if (!ts) {
        const a =
          t === DEFAULT_TENANT
            ? auth
            : assembleAuth(core, started.services, started.loginSteps, tc, outcome);
        withAuth.set(tc, (ts = { ...tc, auth: a }));
      }
      return ts;
    };
    const services: Services = { ...core, auth, features: started.services, forTenant };
    if (!opts.noHousekeeping) closers.push(startHousekeeping(core, started.jobs));
    return {
      ...services,
      routes: started.routes(services),
      featureNames: features.map((f) => f.name),
      close: () => closeAll(closers),
    };
  } catch (e) {
    await closeAll(closers);
    throw e;
  }
}
