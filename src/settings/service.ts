import type { Kysely } from 'kysely';
import type { Bus } from '../bus/bus.js';
import type { Config, Field, FieldName } from '../config/schema.js';
import { FIELDS } from '../config/schema.js';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import { parseLoginPolicy, type LoginPolicyMap } from '../config/login-policy.js';

/** Settings an administrator may change at run time (the rest need a restart). */
export const DYNAMIC_KEYS = [
  'accessTokenTtl',
  'refreshTokenTtl',
  'maxSessions',
  'loginPolicy',
  'sessionIdleTimeout',
  'sessionMaxLifetime',
  'lastSeenInterval',
  'captchaAfterFailures',
  'lockAfterFailures',
  'lockSeconds',
  'lockoutMode',
  'loginAttemptsPerIpPerHour',
  'registerCaptcha',
  'passwordMinScore',
  'auditRetentionDays',
] as const satisfies readonly FieldName[];

/**
 * Dynamic settings a feature adds (its `settings` in src/feature/contract.ts),
 * typed from its folder by declaration merging: `interface FeatureSettings { presenceTimeout: number }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface FeatureSettings {}

type CoreKey = (typeof DYNAMIC_KEYS)[number];
export type DynamicKey = CoreKey | (keyof FeatureSettings & string);
export type DynamicSettings = { [K in CoreKey]: Config[K] } & FeatureSettings & {
    loginPolicyMap: LoginPolicyMap;
  };

/** The features' dynamic settings: their field definitions and the keys among them. */
export interface ExtraSettings {
  fields: Readonly<Record<string, Field>>;
  keys: readonly string[];
}

const CHANNEL = 'settings';

/** Validates one value against its field; returns an error text or the clean value. */
export function validateSetting(
  key: DynamicKey,
  value: unknown,
  fields: Readonly<Record<string, Field>> = FIELDS,
): { ok: true; value: unknown } | { ok: false; problem: string } {
  const field = fields[key];
  if (!field) return { ok: false, problem: `${key} is not a setting` };
  const kind = field.kind as {
    t: string;
    min?: number;
    max?: number;
    values?: readonly string[];
  };
  switch (kind.t) {
    case 'int':
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < kind.min! ||
        value > kind.max!
      ) {
        return { ok: false, problem: `${key} must be a whole number in ${kind.min}..${kind.max}` };
      }
      return { ok: true, value };
    case 'bool':
      return typeof value === 'boolean'
        ? { ok: true, value }
        : { ok: false, problem: `${key} must be true or false` };
    case 'enum':
      return typeof value === 'string' && kind.values!.includes(value)
        ? { ok: true, value }
        : { ok: false, problem: `${key} must be one of ${kind.values!.join(', ')}` };
    default: {
      if (typeof value !== 'string' || value.length > 1024)
        return { ok: false, problem: `${key} must be a string` };
      if (key === 'loginPolicy') {
        const p = parseLoginPolicy(value);
        if (typeof p === 'string') return { ok: false, problem: `loginPolicy: ${p}` };
      }
      return { ok: true, value };
    }
  }
}

/**
 * Start values come from the configuration; overrides live in the `settings`
 * table. Every node holds the merged snapshot in memory (reads are free) and
 * reloads it when any node broadcasts a change.
 */
export function createSettingsService(
  config: Config,
  db: Kysely<Database>,
  bus: Bus,
  clock: Clock,
  onError: (e: unknown) => void = () => {},
  extra: ExtraSettings = { fields: {}, keys: [] },
  /** Another tenant's settings whose values stand in for this one's start values (a tenant falls back to the deployment's). */
  fallback?: { get(): DynamicSettings; onChange(fn: (s: DynamicSettings) => void): () => void },
) {
  const fields: Readonly<Record<string, Field>> = { ...FIELDS, ...extra.fields };
  const keys: readonly DynamicKey[] = [...DYNAMIC_KEYS, ...(extra.keys as DynamicKey[])];
  const values = config as unknown as Record<string, unknown>;
  const pick = (from: Record<string, unknown>) =>
    Object.fromEntries(keys.map((k) => [k, from[k]])) as Record<DynamicKey, unknown>;
  let base = pick(fallback ? (fallback.get() as unknown as Record<string, unknown>) : values);
  const listeners = new Set<(s: DynamicSettings) => void>();
  /** This tenant's own overrides, as last read. */
  let own: Partial<Record<DynamicKey, unknown>> = {};
  let current = build(base);
  let stopFallback: (() => void) | undefined;

  function apply(): void {
    current = build({ ...base, ...own });
    for (const l of listeners) l(current);
  }

  function build(values: Record<DynamicKey, unknown>): DynamicSettings {
    const map = parseLoginPolicy(String(values.loginPolicy));
    if (typeof map === 'string')
      throw new Error(
        `TESSERA_LOGIN_POLICY: ${map} (example: TESSERA_LOGIN_POLICY=kefu=single,*=multi)`,
      );
    return { ...(values as unknown as DynamicSettings), loginPolicyMap: map };
  }

  async function reload(): Promise<void> {
    const rows = await db.selectFrom('settings').selectAll().execute();
    const next: Partial<Record<DynamicKey, unknown>> = {};
    for (const r of rows) {
      if (!(keys as readonly string[]).includes(r.key)) continue;
      try {
        const v = JSON.parse(r.value);
        if (validateSetting(r.key as DynamicKey, v, fields).ok) next[r.key as DynamicKey] = v;
      } catch {
        /* a corrupt row keeps the start value */
      }
    }
    own = next;
    apply();
  }

  return {
    async start(): Promise<void> {
      bus.subscribe(CHANNEL, () => void reload().catch(onError));
      bus.onResync(() => void reload().catch(onError));
      stopFallback = fallback?.onChange((s) => {
        base = pick(s as unknown as Record<string, unknown>);
        apply();
      });
      await bus.ready?.();
      await reload();
    },
    /** Stops following the fallback (the tenant left the cache). */
    stop(): void {
      stopFallback?.();
    },
    /** This tenant's own overrides (the rest are inherited). */
    overrides: (): Readonly<Partial<Record<DynamicKey, unknown>>> => own,
    get: (): DynamicSettings => current,
    /** The keys an administrator may change: the core's and every feature's. */
    keys: (): readonly DynamicKey[] => keys,
    /** Validates one value for `key` against its field. */
    validate: (key: string, value: unknown) => validateSetting(key as DynamicKey, value, fields),
    onChange(fn: (s: DynamicSettings) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Overrides with the start value; null removes an override. Validate first with validateSetting. */
    async update(patch: Partial<Record<DynamicKey, unknown>>): Promise<DynamicSettings> {
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        for (const [key, value] of Object.entries(patch)) {
          await tx.deleteFrom('settings').where('key', '=', key).execute();
          if (value !== null && value !== undefined) {
            await tx
              .insertInto('settings')
              .values({ key, value: JSON.stringify(value), updated_at: now })
              .execute();
          }
        }
      });
      await reload();
      await bus.publish(CHANNEL, { at: now });
      return current;
    },
    reload,
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
