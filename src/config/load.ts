import { readFileSync } from 'node:fs';
import { parseMasterKey } from './master-key.js';
import { checkRedisConfig } from './redis.js';
import { FIELDS, type Config, type Field } from './schema.js';

/** A bad setting. The message is one line: variable, problem, example. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

function parseValue(name: string, f: Field, raw: string): unknown {
  const bad = (problem: string): never => {
    throw new ConfigError(`${f.env}: ${problem} (example: ${f.env}=${f.example})`);
  };
  const k = f.kind;
  switch (k.t) {
    case 'string': {
      if (k.max !== undefined && raw.length > k.max) bad(`longer than ${k.max} characters`);
      const problem = k.check?.(raw);
      if (problem !== undefined) bad(f.secret ? 'is not valid' : problem);
      return raw;
    }
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) bad(`"${f.secret ? '***' : raw}" is not a whole number`);
      const n = Number(raw.trim());
      if (n < k.min || n > k.max) bad(`${n} is outside ${k.min}..${k.max}`);
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      return bad(`"${raw}" is not a boolean (use 1 or 0)`);
    }
    case 'enum':
      if (!k.values.includes(raw.trim())) bad(`"${raw}" is not one of ${k.values.join(', ')}`);
      return raw.trim();
    case 'url': {
      let u: URL;
      try {
        u = new URL(raw.trim());
      } catch {
        return bad('is not a valid URL');
      }
      if (!k.protocols.includes(u.protocol))
        bad(`protocol must be one of ${k.protocols.join(', ')}`);
      return raw.trim();
    }
    case 'list': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const problem = k.check?.(items);
      if (problem !== undefined) bad(f.secret ? 'is not valid' : problem);
      return items;
    }
  }
  return name;
}

function fromFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `TESSERA_CONFIG_FILE: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}) (example: TESSERA_CONFIG_FILE=./tessera.json)`,
    );
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `TESSERA_CONFIG_FILE: ${path} is not valid JSON (example: {"TESSERA_PORT": 8080})`,
    );
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ConfigError(
      `TESSERA_CONFIG_FILE: ${path} must hold one JSON object (example: {"TESSERA_PORT": 8080})`,
    );
  }
  return obj as Record<string, unknown>;
}

/**
 * Reads the configuration from `env` (and the JSON file named by
 * TESSERA_CONFIG_FILE, whose keys are the same TESSERA_* names; env wins).
 * Throws ConfigError on the first bad value or unknown file key.
 */
export function loadConfig(
  env: Env = process.env,
  overrides: Partial<Config> = {},
  /** The core's fields, plus the features' (src/app/features.ts loadAppConfig). */
  fields: Readonly<Record<string, Field>> = FIELDS,
): Config {
  const known = new Map<string, string>();
  for (const [name, f] of Object.entries(fields)) {
    known.set(f.env, name);
    for (const a of f.aliases ?? []) known.set(a, name);
  }
  const file = env.TESSERA_CONFIG_FILE ? fromFile(env.TESSERA_CONFIG_FILE) : {};
  for (const key of Object.keys(file)) {
    if (!known.has(key)) {
      const near = nearestName(key, [...known.keys()]);
      throw new ConfigError(
        `TESSERA_CONFIG_FILE: unknown setting "${key}"${near ? `, did you mean ${near}?` : ''} (example: {"${near ?? 'TESSERA_PORT'}": ...})`,
      );
    }
  }
  if (env.NODE_ENV === 'production') {
    const [first] = unknownSettings(env, fields);
    if (first) throw new ConfigError(`${first} (refused when NODE_ENV=production)`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(fields)) {
    let raw: string | undefined;
    for (const key of [f.env, ...(f.aliases ?? [])]) {
      const v = env[key] ?? (file[key] === undefined ? undefined : String(file[key]));
      if (v !== undefined && v !== '') {
        raw = v;
        break;
      }
    }
    out[name] = raw === undefined ? f.default : parseValue(name, f, raw);
  }
  const cfg = {
    ...(out as Omit<Config, 'production'>),
    production: env.NODE_ENV === 'production',
    ...overrides,
  } as Config;
  checkConsistency(cfg, env);
  return cfg;
}

function checkConsistency(cfg: Config, env: Env): void {
  const ctx = cfg.contextPath;
  if (!/^\/[A-Za-z0-9/_-]*$/.test(ctx) || ctx.endsWith('/')) {
    throw new ConfigError(
      `TESSERA_CONTEXT_PATH: "${ctx}" must start with / and not end with / (example: TESSERA_CONTEXT_PATH=/api)`,
    );
  }
  if (cfg.jwtAlgorithm === 'HS256' && !cfg.jwtSecret) {
    throw new ConfigError(
      'TESSERA_JWT_SECRET: required when TESSERA_JWT_ALGORITHM=HS256 (example: TESSERA_JWT_SECRET=$(openssl rand -base64 48))',
    );
  }
  if (cfg.jwtSecret && cfg.jwtAlgorithm !== 'HS256' && env.TESSERA_JWT_ALGORITHM === undefined) {
    // A secret alone (seed 000's JWT_SECRET) means the operator wants HS256.
    cfg.jwtAlgorithm = 'HS256';
  }
  if (cfg.captchaProvider === 'turnstile' && !cfg.turnstileSecret) {
    throw new ConfigError(
      'TESSERA_TURNSTILE_SECRET: required when TESSERA_CAPTCHA_PROVIDER=turnstile (example: TESSERA_TURNSTILE_SECRET=0x4AAAAAAA...)',
    );
  }
  for (const [name, v] of [
    ['TESSERA_MASTER_KEY', cfg.masterKey],
    ...cfg.masterKeyPrevious.map((k) => ['TESSERA_MASTER_KEY_PREVIOUS', k] as const),
  ] as const) {
    if (v !== undefined && !parseMasterKey(v))
      throw new ConfigError(
        `${name}: must be 32 bytes as base64 or 64 hex digits (example: ${name}=$(openssl rand -base64 32))`,
      );
  }
  if (cfg.masterKey && cfg.masterKeyFile)
    throw new ConfigError(
      'TESSERA_MASTER_KEY_FILE: set either it or TESSERA_MASTER_KEY, not both (example: unset TESSERA_MASTER_KEY)',
    );
  checkRedisConfig(cfg, (v, problem, example) => {
    throw new ConfigError(`${v}: ${problem} (example: ${example})`);
  });
  if (cfg.production) checkProduction(cfg, env);
}

/** TESSERA_* names read outside the config table (tests' TESSERA_TEST_* are ignored too). */
const OTHER_NAMES = [
  'TESSERA_CONFIG_FILE', // this file
  'TESSERA_NEW_PASSWORD', // src/cli/main.ts
  'TESSERA_FAILPOINTS', // src/lib/failpoint.ts (fault tests; off in production)
];

/** Levenshtein distance (two rows); names are short, so this stays cheap. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name nearest to `name`, if it is near enough to be a typo of it. */
function nearestName(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = distance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  // A third of the name (without the TESSERA_ prefix) may be wrong, at least 2 characters.
  return bestD <= Math.max(2, Math.floor((name.length - 8) / 3)) ? best : undefined;
}

/**
 * One line per TESSERA_* variable of `env` that no setting reads, with the nearest known name:
 * warnings in development (src/main.ts prints them), refused in production (loadConfig).
 */
export function unknownSettings(
  env: Env,
  fields: Readonly<Record<string, Field>> = FIELDS,
): string[] {
  const known = new Set(OTHER_NAMES);
  for (const f of Object.values(fields)) {
    known.add(f.env);
    for (const a of f.aliases ?? []) known.add(a);
  }
  const candidates = [...known].filter((n) => n.startsWith('TESSERA_'));
  const out: string[] = [];
  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith('TESSERA_') || known.has(key) || key.startsWith('TESSERA_TEST_')) continue;
    const near = nearestName(key, candidates);
    out.push(
      near
        ? `${key}: no such setting, did you mean ${near}? (example: ${near}=${exampleOf(near, fields)})`
        : `${key}: no such setting (see docs/configuration.md; example: TESSERA_PORT=8080)`,
    );
  }
  return out;
}

function exampleOf(env: string, fields: Readonly<Record<string, Field>>): string {
  return Object.values(fields).find((f) => f.env === env)?.example ?? '...';
}

/** Production refuses what is only acceptable on a laptop. */
function checkProduction(cfg: Config, env: Env): void {
  if (cfg.corsOrigins.includes('*')) {
    throw new ConfigError(
      'TESSERA_CORS_ORIGINS: "*" (any origin) is refused when NODE_ENV=production; list the exact origins (example: TESSERA_CORS_ORIGINS=https://app.example.com)',
    );
  }
  if (cfg.demo) {
    throw new ConfigError(
      'TESSERA_DEMO: demo users with known passwords are refused when NODE_ENV=production (example: unset TESSERA_DEMO)',
    );
  }
  if (cfg.jwtSecret && Buffer.byteLength(cfg.jwtSecret, 'utf8') < 32) {
    throw new ConfigError(
      'TESSERA_JWT_SECRET: shorter than 256 bits (32 bytes), refused when NODE_ENV=production (example: TESSERA_JWT_SECRET=$(openssl rand -base64 48))',
    );
  }
  if (cfg.jwtSecret && /change|secret|example|default/i.test(cfg.jwtSecret)) {
    throw new ConfigError(
      'TESSERA_JWT_SECRET: looks like a placeholder, refused when NODE_ENV=production (example: TESSERA_JWT_SECRET=$(openssl rand -base64 48))',
    );
  }
  if (!cfg.masterKey && !cfg.masterKeyFile) {
    throw new ConfigError(
      'TESSERA_MASTER_KEY: required when NODE_ENV=production, so that signing keys and secrets are sealed in the database (example: TESSERA_MASTER_KEY=$(openssl rand -base64 32), or TESSERA_MASTER_KEY_FILE=/run/secrets/tessera-master-key)',
    );
  }
  if (env.TESSERA_TRUST_PROXY === undefined) {
    throw new ConfigError(
      'TESSERA_TRUST_PROXY: must be set explicitly when NODE_ENV=production, to your TLS proxy addresses or "none" (example: TESSERA_TRUST_PROXY=10.0.0.0/8)',
    );
  }
}

/** The effective configuration with secrets replaced, for the start-up log. */
export function redactedConfig(
  cfg: Config,
  fields: Readonly<Record<string, Field>> = FIELDS,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = cfg as unknown as Record<string, unknown>;
  for (const [name, f] of Object.entries(fields)) {
    const v = values[name];
    if (v === undefined) continue;
    if (f.secret) {
      if (f.kind.t === 'url' && typeof v === 'string') {
        const u = new URL(v);
        if (u.password) u.password = '***';
        out[name] = u.toString();
      } else out[name] = Array.isArray(v) ? v.map(() => '***') : '***';
    } else out[name] = v;
  }
  out.production = cfg.production;
  return out;
}
