import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseLoginPolicy } from './login-policy.js';

/**
 * Checks of settings whose value has a structure (a list of addresses, a policy, pairs), run
 * when the configuration is read (src/config/load.ts) so a bad value stops the start with the
 * one-line message and exit 2, never later with a stack trace. Each returns the problem, or
 * undefined when the value is good; load.ts adds the variable name and the example.
 */
export type Check<T> = (value: T) => string | undefined;

/** proxy-addr's named ranges, which Fastify's trustProxy accepts besides addresses. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function proxyEntryProblem(entry: string): string | undefined {
  if (NAMED_RANGES.includes(entry)) return undefined;
  const slash = entry.indexOf('/');
  const ip = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return `"${entry}" is not an IP address or CIDR`;
  if (slash < 0) return undefined;
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max)
    return `"${entry}" has a prefix length outside 0..${max}`;
  return undefined;
}

/** TESSERA_TRUST_PROXY: IPs, CIDRs or proxy-addr's named ranges; or `none` alone. */
export const trustProxyList: Check<readonly string[]> = (items) => {
  if (items.includes('none'))
    return items.length === 1 ? undefined : '"none" cannot be combined with addresses';
  for (const e of items) {
    const p = proxyEntryProblem(e);
    if (p) return `${p} (or "none", or one of ${NAMED_RANGES.join(', ')})`;
  }
  return undefined;
};

/** TESSERA_LOGIN_POLICY: `<user_type>=multi|single|reject`, comma separated. */
export const loginPolicyText: Check<string> = (text) => {
  const r = parseLoginPolicy(text);
  return typeof r === 'string' ? r : undefined;
};

const WAYS = ['host', 'header', 'path'];

/** TESSERA_TENANT_RESOLUTION. */
export const tenantWays: Check<readonly string[]> = (items) => {
  const bad = items.find((w) => !WAYS.includes(w));
  return bad === undefined ? undefined : `"${bad}" is not one of ${WAYS.join(', ')}`;
};

/** A DNS name (letters, digits, hyphens, dots; labels of at most 63). */
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** The tenant id syntax (src/db/scope.ts TENANT_ID_PATTERN; src/config/checks.test.ts keeps them equal). */
const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** TESSERA_TENANT_HOSTS: `host=tenant` pairs. */
export const tenantHostPairs: Check<readonly string[]> = (items) => {
  for (const pair of items) {
    const [host, tenant, ...rest] = pair.split('=').map((s) => s.trim());
    if (!host || !tenant || rest.length) return `"${pair}" is not host=tenant`;
    if (!HOSTNAME.test(host)) return `"${host}" is not a host name`;
    if (!TENANT_ID.test(tenant))
      return `"${tenant}" is not a tenant id (lower-case letters, digits and hyphens)`;
  }
  return undefined;
};

/** TESSERA_HOST: an IP address or a host name. */
export const listenHost: Check<string> = (v) =>
  isIP(v) || HOSTNAME.test(v) ? undefined : `"${v}" is not an IP address or host name`;

/** TESSERA_METRICS_TOKEN: long enough not to be guessed by a scraper's neighbours. */
export const metricsToken: Check<string> = (v) =>
  v.length >= 16 ? undefined : 'shorter than 16 characters (example: $(openssl rand -hex 32))';

/** TESSERA_DATABASE_SCHEMA: what src/db/kysely.ts openPostgres accepts (it is quoted into SQL). */
export const sqlSchemaName: Check<string> = (v) =>
  /^[a-z_][a-z0-9_]{0,62}$/.test(v)
    ? undefined
    : `"${v}" is not a lower-case SQL identifier (letters, digits, _)`;

/** TESSERA_PUBLIC_TOKEN_PATHS: path prefixes. */
export const pathPrefixes: Check<readonly string[]> = (items) => {
  const bad = items.find((p) => !/^\/[\x21-\x7e]*$/.test(p));
  return bad === undefined ? undefined : `"${bad}" is not a path starting with /`;
};

/** A list of http(s) URLs (alert webhooks). */
export const httpUrls: Check<readonly string[]> = (items) => {
  for (const u of items) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      return `"${u}" is not a valid URL`;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return `"${u}": protocol must be https: or http:`;
  }
  return undefined;
};

/**
 * TESSERA_CORS_ORIGINS: exact origins (scheme://host[:port], no path), or `*` (any origin:
 * refused in production, src/config/load.ts).
 */
export const originList: Check<readonly string[]> = (items) => {
  if (items.includes('*'))
    return items.length === 1 ? undefined : '"*" cannot be combined with origins';
  for (const o of items) {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      return `"${o}" is not an origin (scheme://host[:port])`;
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== o)
      return `"${o}" is not an exact origin (scheme://host[:port], no path or trailing /)`;
  }
  return undefined;
};

/** TESSERA_JWT_PRIVATE_KEY_FILE: a readable PEM private key (its algorithm is the keyring's check). */
export const privateKeyFile: Check<string> = (path) => {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    return `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    createPrivateKey(pem);
  } catch {
    return `${path} does not hold a PEM private key`;
  }
  return undefined;
};
