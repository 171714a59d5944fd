import type { Field } from '../config/schema.js';
import { registerErrors } from '../contract/errors.js';
import type {
  Core,
  Feature,
  FeatureServices,
  Job,
  RouteSet,
  Services,
} from '../feature/contract.js';
import type { MigrationStep } from '../db/migrate.js';
import type { LoginStep } from '../login/pipeline.js';
import type { ExtraSettings } from '../settings/service.js';

/**
 * Features in dependency order: each after the features it `needs`, and
 * otherwise in list order. A missing or circular need is a start-up error.
 */
export function orderFeatures(list: readonly Feature[]): Feature[] {
  const byName = new Map(list.map((f) => [f.name, f]));
  if (byName.size !== list.length) throw new Error('two features share a name');
  const out: Feature[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (f: Feature, path: string[]) => {
    if (state.get(f.name) === 'done') return;
    if (state.get(f.name) === 'visiting')
      throw new Error(`features need each other: ${[...path, f.name].join(' -> ')}`);
    state.set(f.name, 'visiting');
    for (const n of f.needs ?? []) {
      const dep = byName.get(n);
      if (!dep) throw new Error(`feature ${f.name} needs feature ${n}, which is not in the list`);
      visit(dep, [...path, f.name]);
    }
    state.set(f.name, 'done');
    out.push(f);
  };
  for (const f of list) visit(f, []);
  return out;
}

/** What the features declare, gathered before anything starts. */
export interface Declarations {
  migrations: Record<string, MigrationStep>;
  permissions: readonly string[];
  fields: Record<string, Field>;
  settings: ExtraSettings;
}

export function declarationsOf(features: readonly Feature[]): Declarations {
  const migrations: Record<string, MigrationStep> = {};
  const fields: Record<string, Field> = {};
  const keys: string[] = [];
  const permissions: string[] = [];
  for (const f of features) {
    for (const [name, m] of Object.entries(f.migrations ?? {})) {
      if (migrations[name]) throw new Error(`migration ${name} is declared twice`);
      migrations[name] = m;
    }
    for (const [name, field] of Object.entries(f.config ?? {})) {
      if (fields[name]) throw new Error(`config field ${name} is declared twice`);
      fields[name] = field;
    }
    for (const k of f.settings ?? []) {
      if (!fields[k]) throw new Error(`feature ${f.name}: setting ${k} is not one of its fields`);
      keys.push(k);
    }
    permissions.push(...(f.permissions ?? []));
    if (f.errors) registerErrors(f.errors);
  }
  return { migrations, permissions, fields, settings: { fields, keys } };
}

export interface StartedFeatures {
  services: Partial<FeatureServices>;
  loginSteps: LoginStep[];
  jobs: Job[];
  routes(s: Services): RouteSet[];
}

/**
 * Starts the features in order, each seeing the core and what the earlier
 * ones provided; their stop steps go to `closers` (run in reverse).
 */
export async function startFeatures(
  ordered: readonly Feature[],
  core: Core,
  closers: (() => Promise<void> | void)[],
): Promise<StartedFeatures> {
  const missing = Object.keys(declarationsOf(ordered).fields).filter(
    (k) => !(k in (core.config as object)),
  );
  if (missing.length)
    throw new Error(
      `the configuration was loaded without the features' fields (${missing.join(', ')}): load it with loadAppConfig()`,
    );
  const services: Partial<FeatureServices> = {};
  const loginSteps: LoginStep[] = [];
  const jobs: Job[] = [];
  const routeFns: ((s: Services) => RouteSet[])[] = [];
  for (const f of ordered) {
    const started = await f.start({ core, services });
    if (started.stop) closers.push(started.stop);
    for (const [name, svc] of Object.entries(started.provides ?? {})) {
      if (name in services) throw new Error(`feature ${f.name}: service ${name} is provided twice`);
      (services as Record<string, unknown>)[name] = svc;
    }
    loginSteps.push(...(started.loginSteps ?? []));
    jobs.push(...(started.jobs ?? []));
    if (started.routes) routeFns.push(started.routes);
  }
  return { services, loginSteps, jobs, routes: (s) => routeFns.flatMap((fn) => fn(s)) };
}
