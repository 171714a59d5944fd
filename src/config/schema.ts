import {
  listenHost,
  loginPolicyText,
  metricsToken,
  originList,
  pathPrefixes,
  privateKeyFile,
  sqlSchemaName,
  tenantHostPairs,
  tenantWays,
  trustProxyList,
  httpUrls,
  type Check,
} from './checks.js';

/**
 * Every setting Tessera reads at start, with its default, in ONE table.
 * Names of env vars marked (contract) are listed in shared/API.md and must not change.
 * A setting marked `dynamic` can also be changed at run time through the admin
 * settings API (see src/settings/); the value here is then only the start value.
 */
export type Kind =
  | { t: 'string'; max?: number; check?: Check<string> }
  | { t: 'int'; min: number; max: number }
  | { t: 'bool' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'url'; protocols: readonly string[] }
  | { t: 'list'; check?: Check<readonly string[]> };

export interface Field {
  env: string;
  /** Other accepted env names, e.g. seed 000's JWT_SECRET. */
  aliases?: readonly string[];
  kind: Kind;
  default: string | number | boolean | string[] | undefined;
  secret?: boolean;
  example: string;
  doc: string;
}

/** An integer field kind in min..max. */
export const int = (min: number, max: number) => ({ t: 'int', min, max }) as const;
const DAY = 86_400;

/** The core's fields; each feature adds its own (`config` in src/feature/contract.ts). */
export const FIELDS = {
  // ── server ────────────────────────────────────────────────────────────
  host: {
    env: 'TESSERA_HOST',
    kind: { t: 'string', max: 255, check: listenHost },
    default: '127.0.0.1',
    example: '0.0.0.0',
    doc: 'Listen address (contract).',
  },
  port: {
    env: 'TESSERA_PORT',
    kind: int(0, 65535),
    default: 8080,
    example: '8080',
    doc: 'Listen port (contract); 0 picks a free port.',
  },
  publicUrl: {
    env: 'TESSERA_PUBLIC_URL',
    kind: { t: 'url', protocols: ['http:', 'https:'] },
    default: undefined,
    example: 'https://auth.example.com',
    doc: 'The URL users reach Tessera at, for links in mails and (later) the OpenID issuer (contract); unset = `http://<host>:<port>`.',
  },
  dataDir: {
    env: 'TESSERA_DATA_DIR',
    kind: { t: 'string', max: 4096 },
    default: './data',
    example: '/var/lib/tessera',
    doc: 'Embedded SQLite file and other local state (contract).',
  },
  databaseUrl: {
    env: 'TESSERA_DATABASE_URL',
    kind: { t: 'url', protocols: ['postgres:', 'postgresql:'] },
    default: undefined,
    secret: true,
    example: 'postgres://tessera@db:5432/tessera',
    doc: 'PostgreSQL URL; unset = embedded SQLite (contract).',
  },
  databaseSchema: {
    env: 'TESSERA_DATABASE_SCHEMA',
    kind: { t: 'string', max: 63, check: sqlSchemaName },
    default: undefined,
    example: 'tessera',
    doc: 'PostgreSQL schema to use (created if missing); unset = the search_path default.',
  },
  redisUrl: {
    env: 'TESSERA_REDIS_URL',
    kind: { t: 'url', protocols: ['redis:', 'rediss:'] },
    default: undefined,
    secret: true,
    example: 'redis://127.0.0.1:6379/0',
    doc: 'Redis URL; unset = in-process state, single node (contract).',
  },
  // Redis high availability (decision 0013): Sentinel or Cluster instead of one URL.
  redisSentinels: {
    env: 'TESSERA_REDIS_SENTINELS',
    kind: { t: 'list' },
    default: [],
    example: '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379',
    doc: 'Redis Sentinels, comma-separated host:port; set instead of TESSERA_REDIS_URL to follow a failover.',
  },
  redisSentinelName: {
    env: 'TESSERA_REDIS_SENTINEL_NAME',
    kind: { t: 'string', max: 255 },
    default: undefined,
    example: 'mymaster',
    doc: 'The master group name the Sentinels monitor; required with TESSERA_REDIS_SENTINELS.',
  },
  redisSentinelPassword: {
    env: 'TESSERA_REDIS_SENTINEL_PASSWORD',
    kind: { t: 'string', max: 512 },
    default: undefined,
    secret: true,
    example: 'sentinel-secret',
    doc: 'Password of the Sentinels themselves (their requirepass); unset = none.',
  },
  redisSentinelTls: {
    env: 'TESSERA_REDIS_SENTINEL_TLS',
    kind: { t: 'bool' },
    default: false,
    example: '1',
    doc: 'Connect to the Sentinels over TLS.',
  },
  redisClusterNodes: {
    env: 'TESSERA_REDIS_CLUSTER_NODES',
    kind: { t: 'list' },
    default: [],
    example: '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379',
    doc: 'Redis Cluster nodes to discover the cluster from, comma-separated host:port; set instead of TESSERA_REDIS_URL for a Redis Cluster.',
  },
  redisUsername: {
    env: 'TESSERA_REDIS_USERNAME',
    kind: { t: 'string', max: 255 },
    default: undefined,
    example: 'tessera',
    doc: 'ACL user of the Redis data nodes with Sentinel or Cluster (with a URL, put it in the URL).',
  },
  redisPassword: {
    env: 'TESSERA_REDIS_PASSWORD',
    kind: { t: 'string', max: 512 },
    default: undefined,
    secret: true,
    example: 'redis-secret',
    doc: 'Password of the Redis data nodes with Sentinel or Cluster (with a URL, put it in the URL).',
  },
  redisTls: {
    env: 'TESSERA_REDIS_TLS',
    kind: { t: 'bool' },
    default: false,
    example: '1',
    doc: 'Connect to the Redis data nodes over TLS with Sentinel or Cluster (with a URL, use rediss://).',
  },
  redisPrefix: {
    env: 'TESSERA_REDIS_PREFIX',
    kind: { t: 'string', max: 64 },
    default: 'tessera:',
    example: 'tessera:prod:',
    doc: 'Prefix of every Redis key and channel, so several deployments can share one Redis.',
  },
  contextPath: {
    env: 'TESSERA_CONTEXT_PATH',
    kind: { t: 'string', max: 64 },
    default: '/api',
    example: '/api',
    doc: 'API prefix of every `/api` route (the encrypted-login client API expects `/api`).',
  },
  logLevel: {
    env: 'TESSERA_LOG_LEVEL',
    kind: { t: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    example: 'warn',
    doc: 'Log level.',
  },
  logFormat: {
    env: 'TESSERA_LOG_FORMAT',
    kind: { t: 'enum', values: ['auto', 'json', 'pretty'] },
    default: 'auto',
    example: 'json',
    doc: 'Log lines as JSON, or coloured text for a person (pretty); auto: pretty when stdout is a terminal, JSON otherwise.',
  },
  accessLog: {
    env: 'TESSERA_ACCESS_LOG',
    kind: { t: 'bool' },
    default: false,
    example: '1',
    doc: 'One log line per request: method, route, status, milliseconds, request id, tenant (never the query, a header or the body).',
  },
  defaultLocale: {
    env: 'TESSERA_DEFAULT_LOCALE',
    kind: { t: 'enum', values: ['en', 'zh'] },
    default: 'en',
    example: 'zh',
    doc: 'Message language when Accept-Language names neither en nor zh.',
  },
  trustProxy: {
    env: 'TESSERA_TRUST_PROXY',
    kind: { t: 'list', check: trustProxyList },
    default: [],
    example: '10.0.0.0/8,127.0.0.1',
    doc: 'Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (IPs, CIDRs, or `loopback`, `linklocal`, `uniquelocal`), or "none". Production requires it to be set explicitly.',
  },
  bodyLimit: {
    env: 'TESSERA_BODY_LIMIT_BYTES',
    kind: int(1024, 1_048_576),
    default: 65_536,
    example: '65536',
    doc: 'Largest accepted request body; larger answers 413.',
  },
  adminPassword: {
    env: 'TESSERA_ADMIN_PASSWORD',
    kind: { t: 'string', max: 128 },
    default: undefined,
    secret: true,
    example: 'a-long-random-passphrase',
    doc: 'First-run admin password (contract); unset = random, printed once.',
  },
  passwordMinScore: {
    env: 'TESSERA_PASSWORD_MIN_SCORE',
    kind: int(0, 4),
    default: 2,
    example: '3',
    doc: 'Least zxcvbn strength score (0 to 4) a new password needs, besides the length rules and the common-password list; 0 = zxcvbn is not asked (dynamic).',
  },
  pwnedRangeUrl: {
    env: 'TESSERA_PASSWORD_PWNED_URL',
    kind: { t: 'url', protocols: ['http:', 'https:'] },
    default: undefined,
    example: 'https://api.pwnedpasswords.com',
    doc: 'Base URL of a Pwned Passwords range API (`GET <base>/range/<5 hex of SHA-1>`, k-anonymity: the password never leaves the server); a new password found there is refused. Unset = no breach check. A timeout or error lets the password through.',
  },
  pwnedTimeoutMs: {
    env: 'TESSERA_PASSWORD_PWNED_TIMEOUT_MS',
    kind: int(50, 10_000),
    default: 1500,
    example: '1500',
    doc: 'How long the breached-password check may take before the password is let through.',
  },
  demo: {
    env: 'TESSERA_DEMO',
    kind: { t: 'bool' },
    default: false,
    example: '1',
    doc: 'Create the demo users of the customer-service realtime API (contract). Refused in production.',
  },
  // ── tokens ────────────────────────────────────────────────────────────
  jwtAlgorithm: {
    env: 'TESSERA_JWT_ALGORITHM',
    kind: { t: 'enum', values: ['RS256', 'ES256', 'EdDSA', 'HS256'] },
    default: 'RS256',
    example: 'ES256',
    doc: 'Access-token signature algorithm. HS256 needs TESSERA_JWT_SECRET.',
  },
  jwtPrivateKeyFile: {
    env: 'TESSERA_JWT_PRIVATE_KEY_FILE',
    kind: { t: 'string', max: 4096, check: privateKeyFile },
    default: undefined,
    example: '/run/secrets/jwt.pem',
    doc: 'Operator-supplied PEM signing key instead of generated keys (contract).',
  },
  jwtSecret: {
    env: 'TESSERA_JWT_SECRET',
    aliases: ['JWT_SECRET'],
    kind: { t: 'string', max: 1024 },
    default: undefined,
    secret: true,
    example: '$(openssl rand -base64 48)',
    doc: 'HS256 secret (contract); at least 256 bits in production.',
  },
  masterKey: {
    env: 'TESSERA_MASTER_KEY',
    kind: { t: 'string', max: 200 },
    default: undefined,
    secret: true,
    example: '$(openssl rand -base64 32)',
    doc: 'Key-encryption key (32 bytes, base64 or hex) that seals private signing keys and other stored secrets; required in production (or TESSERA_MASTER_KEY_FILE).',
  },
  masterKeyFile: {
    env: 'TESSERA_MASTER_KEY_FILE',
    kind: { t: 'string', max: 4096 },
    default: undefined,
    example: '/run/secrets/tessera-master-key',
    doc: 'File holding the master key instead (first line; further lines are accepted as previous keys).',
  },
  masterKeyPrevious: {
    env: 'TESSERA_MASTER_KEY_PREVIOUS',
    kind: { t: 'list' },
    default: [],
    secret: true,
    example: '<old key>',
    doc: 'Other master keys that may open stored secrets, never seal them: the old key while `tessera keys reseal` runs, or the next one before it becomes TESSERA_MASTER_KEY.',
  },
  issuer: {
    env: 'TESSERA_ISSUER',
    kind: { t: 'string', max: 255 },
    default: 'tessera',
    example: 'https://auth.example.com',
    doc: 'The `iss` of every token.',
  },
  audience: {
    env: 'TESSERA_AUDIENCE',
    kind: { t: 'string', max: 255 },
    default: 'tessera',
    example: 'api.example.com',
    doc: 'The `aud` of every access token.',
  },
  accessTokenTtl: {
    env: 'TESSERA_ACCESS_TOKEN_TTL_SECONDS',
    kind: int(60, DAY),
    default: 900,
    example: '900',
    doc: 'Access-token lifetime (contract; dynamic).',
  },
  refreshTokenTtl: {
    env: 'TESSERA_REFRESH_TOKEN_TTL_SECONDS',
    kind: int(300, 365 * DAY),
    default: 7 * DAY,
    example: '604800',
    doc: 'Refresh-token lifetime (contract; dynamic).',
  },
  refreshReuseGrace: {
    env: 'TESSERA_REFRESH_REUSE_GRACE_SECONDS',
    kind: int(0, 60),
    default: 0,
    example: '10',
    doc: 'Window in which a retry of a just-rotated refresh token gets the same successor instead of ending the session (0 = strict).',
  },
  clockSkew: {
    env: 'TESSERA_CLOCK_SKEW_SECONDS',
    kind: int(0, 300),
    default: 30,
    example: '30',
    doc: "Tolerance for iat/exp against other nodes' clocks.",
  },
  tokenCacheSize: {
    env: 'TESSERA_TOKEN_CACHE_SIZE',
    kind: int(0, 10_000_000),
    default: 100_000,
    example: '100000',
    doc: 'Verified access tokens kept in memory (0 disables the cache).',
  },
  sessionTableSize: {
    env: 'TESSERA_SESSION_TABLE_SIZE',
    kind: int(1_000, 10_000_000),
    default: 200_000,
    example: '200000',
    doc: 'Live sessions each node keeps in memory to check that a token belongs to its session (about 200 bytes each); a session beyond it is read again, once, when next seen.',
  },
  tenantResolution: {
    env: 'TESSERA_TENANT_RESOLUTION',
    kind: { t: 'list', check: tenantWays },
    default: ['header', 'path'],
    example: 'host,header,path',
    doc: 'How a request names its tenant: `host` (TESSERA_TENANT_HOSTS), `header` (X-Tessera-Tenant), `path` (/t/<tenant>/ before the context path). `host` is added when hosts are set. None named = `default`.',
  },
  tenantHosts: {
    env: 'TESSERA_TENANT_HOSTS',
    kind: { t: 'list', check: tenantHostPairs },
    default: [],
    example: 'acme.example.com=acme,beta.example.com=beta',
    doc: 'Host names and the tenant each one serves.',
  },
  tenantCacheSize: {
    env: 'TESSERA_TENANT_CACHE_SIZE',
    kind: int(1, 1_000_000),
    default: 1000,
    example: '1000',
    doc: 'Tenants whose settings, roles and keys a node keeps in memory; the least recently used others are loaded again on their next request.',
  },
  plainLogin: {
    env: 'TESSERA_PLAIN_LOGIN',
    kind: { t: 'bool' },
    default: true,
    example: '0',
    doc: 'Accept `password` in clear on login (older encrypted-login clients send it). 0 = encrypted only.',
  },
  // ── sessions (seeds 002, 003, 004) ────────────────────────────────────
  loginPolicy: {
    env: 'TESSERA_LOGIN_POLICY',
    kind: { t: 'string', max: 1024, check: loginPolicyText },
    default: '*=multi',
    example: 'kefu=single,*=multi',
    doc: 'multi | single | reject, per user type (contract; dynamic).',
  },
  maxSessions: {
    env: 'TESSERA_MAX_SESSIONS_PER_USER',
    kind: int(1, 1000),
    default: 10,
    example: '10',
    doc: 'Sessions a user may hold; the oldest ends beyond it (dynamic).',
  },
  sessionIdleTimeout: {
    env: 'TESSERA_SESSION_IDLE_TIMEOUT_SECONDS',
    kind: int(60, 365 * DAY),
    default: 3 * DAY,
    example: '1800',
    doc: 'A session not refreshed for this long ends (dynamic).',
  },
  sessionMaxLifetime: {
    env: 'TESSERA_SESSION_MAX_LIFETIME_SECONDS',
    kind: int(300, 365 * DAY),
    default: 30 * DAY,
    example: '43200',
    doc: 'Absolute session lifetime, whatever the activity (dynamic).',
  },
  lastSeenInterval: {
    env: 'TESSERA_LAST_SEEN_INTERVAL_SECONDS',
    kind: int(1, 30 * DAY),
    default: DAY,
    example: '86400',
    doc: 'last-seen is written at most this often per session (dynamic).',
  },
  revocationPollMs: {
    env: 'TESSERA_REVOCATION_POLL_MS',
    kind: int(0, 60_000),
    default: 500,
    example: '500',
    doc: 'How often each node reads the revocations written since its last look (SQL, indexed): revocations reach every node within this even when pub/sub is down (0 = off).',
  },
  publicApiTokens: {
    env: 'TESSERA_PUBLIC_API_TOKENS',
    kind: { t: 'list' },
    default: [],
    secret: true,
    example: 'tok_1,tok_2',
    doc: 'Static tokens for service-to-service calls under the public-token paths (TESSERA_PUBLIC_TOKEN_PATHS).',
  },
  publicTokenPaths: {
    env: 'TESSERA_PUBLIC_TOKEN_PATHS',
    kind: { t: 'list', check: pathPrefixes },
    default: ['/api/service/'],
    example: '/api/service/',
    doc: 'Path prefixes guarded by a public API token instead of a JWT.',
  },
  // ── brute force, captcha, audit (seeds 002, 004) ─────────────────────
  captchaProvider: {
    env: 'TESSERA_CAPTCHA_PROVIDER',
    kind: { t: 'enum', values: ['altcha', 'turnstile'] },
    default: 'altcha',
    example: 'turnstile',
    doc: 'Human verification: self-hosted proof of work (altcha) or Cloudflare Turnstile.',
  },
  turnstileSecret: {
    env: 'TESSERA_TURNSTILE_SECRET',
    kind: { t: 'string', max: 512 },
    default: undefined,
    secret: true,
    example: '0x4AAAAAAA...',
    doc: 'Turnstile secret key.',
  },
  turnstileVerifyUrl: {
    env: 'TESSERA_TURNSTILE_VERIFY_URL',
    kind: { t: 'url', protocols: ['https:', 'http:'] },
    default: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    example: 'http://127.0.0.1:9999/siteverify',
    doc: 'Turnstile siteverify endpoint (tests point it at a local fake).',
  },
  altchaHmacKey: {
    env: 'TESSERA_ALTCHA_HMAC_KEY',
    kind: { t: 'string', max: 512 },
    default: undefined,
    secret: true,
    example: '$(openssl rand -base64 32)',
    doc: 'Key that signs proof-of-work challenges; unset = a key generated once and kept in the database.',
  },
  captchaAfterFailures: {
    env: 'TESSERA_CAPTCHA_AFTER_FAILURES',
    kind: int(0, 1000),
    default: 3,
    example: '3',
    doc: 'Consecutive failed logins of an account after which a captcha is required (0 = always; dynamic).',
  },
  lockAfterFailures: {
    env: 'TESSERA_LOCK_AFTER_FAILURES',
    kind: int(1, 1000),
    default: 10,
    example: '10',
    doc: 'Consecutive failed logins after which the account is locked (dynamic).',
  },
  lockSeconds: {
    env: 'TESSERA_LOCK_SECONDS',
    kind: int(1, 30 * DAY),
    default: 900,
    example: '900',
    doc: 'How long a lock lasts (dynamic).',
  },
  lockoutMode: {
    env: 'TESSERA_LOCKOUT_MODE',
    kind: { t: 'enum', values: ['account', 'account_ip'] },
    default: 'account_ip',
    example: 'account',
    doc: 'account: lock the account for everyone; account_ip: lock the (account, IP) pair and require a captcha from other IPs (dynamic).',
  },
  loginAttemptsPerIpPerHour: {
    env: 'TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR',
    kind: int(1, 1_000_000),
    default: 100,
    example: '100',
    doc: 'Login attempts one IP may make per hour (dynamic).',
  },
  registerCaptcha: {
    env: 'TESSERA_REGISTER_CAPTCHA',
    kind: { t: 'bool' },
    default: false,
    example: '1',
    doc: 'Require a captcha on register (dynamic).',
  },
  auditRetentionDays: {
    env: 'TESSERA_AUDIT_RETENTION_DAYS',
    kind: int(1, 3650),
    default: 180,
    example: '90',
    doc: 'Audit rows older than this are pruned (dynamic).',
  },
  alertWebhookUrls: {
    env: 'TESSERA_ALERT_WEBHOOK_URLS',
    kind: { t: 'list', check: httpUrls },
    default: [],
    example: 'https://hooks.example.com/tessera',
    doc: 'Where security alerts are POSTed.',
  },
  alertWebhookSecret: {
    env: 'TESSERA_ALERT_WEBHOOK_SECRET',
    kind: { t: 'string', max: 512 },
    default: undefined,
    secret: true,
    example: '$(openssl rand -hex 32)',
    doc: 'HMAC-SHA256 key for the X-Tessera-Signature header of alert webhooks.',
  },
  // ── HTTP hardening and process life (issue 12; docs/decisions/0012) ──
  corsOrigins: {
    env: 'TESSERA_CORS_ORIGINS',
    kind: { t: 'list', check: originList },
    default: [],
    example: 'https://app.example.com,http://localhost:5173',
    doc: 'Exact browser origins allowed to call the API cross-origin (contract); unset = none. `*` (any origin) is refused in production.',
  },
  hstsMaxAge: {
    env: 'TESSERA_HSTS_MAX_AGE_SECONDS',
    kind: int(0, 2 * 365 * DAY),
    default: 365 * DAY,
    example: '31536000',
    doc: 'Strict-Transport-Security max-age, sent only on requests that arrived over HTTPS (through a proxy of TESSERA_TRUST_PROXY saying X-Forwarded-Proto: https); 0 = never.',
  },
  // ── metrics (issue 17; docs/decisions/0022-metrics.md) ─────────────
  metricsToken: {
    env: 'TESSERA_METRICS_TOKEN',
    kind: { t: 'string', max: 512, check: metricsToken },
    default: undefined,
    secret: true,
    example: '$(openssl rand -hex 32)',
    doc: 'Bearer token a scraper sends for `GET /metrics` (`Authorization: Bearer <token>`), at least 16 characters; unset = no token. In production, without it or TESSERA_METRICS_PORT, `/metrics` answers 403.',
  },
  metricsPort: {
    env: 'TESSERA_METRICS_PORT',
    kind: int(0, 65535),
    default: undefined,
    example: '9464',
    doc: 'Serve `/metrics` on this port (on TESSERA_METRICS_HOST) instead of the public one, which then has no `/metrics`; 0 picks a free port. TESSERA_METRICS_TOKEN, when set, is required there too.',
  },
  metricsHost: {
    env: 'TESSERA_METRICS_HOST',
    kind: { t: 'string', max: 255, check: listenHost },
    default: '127.0.0.1',
    example: '10.0.0.5',
    doc: 'Listen address of TESSERA_METRICS_PORT: loopback by default, so only the machine (or a sidecar) scrapes it.',
  },
  shutdownTimeout: {
    env: 'TESSERA_SHUTDOWN_TIMEOUT_SECONDS',
    kind: int(1, 600),
    default: 10,
    example: '10',
    doc: 'On SIGTERM/SIGINT: how long in-flight requests, WebSocket closes and pending writes may take before the process exits anyway (exit code 1).',
  },
} as const satisfies Record<string, Field>;

export type FieldName = keyof typeof FIELDS;

type ValueOf<K extends Kind> = K extends { t: 'int' }
  ? number
  : K extends { t: 'bool' }
    ? boolean
    : K extends { t: 'list' }
      ? string[]
      : string;

type Optional<F> = F extends { default: undefined } ? true : false;

/** The typed values of a field table. */
export type ConfigOf<T extends Record<string, Field>> = {
  -readonly [K in keyof T]: Optional<T[K]> extends true
    ? ValueOf<T[K]['kind']> | undefined
    : ValueOf<T[K]['kind']>;
};

/**
 * Config values of the features' fields, declared from each feature's folder
 * by declaration merging: `interface FeatureConfig extends ConfigOf<typeof FIELDS> {}`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface FeatureConfig {}

export type Config = ConfigOf<typeof FIELDS> &
  FeatureConfig & {
    /** NODE_ENV=production. */
    production: boolean;
  };
