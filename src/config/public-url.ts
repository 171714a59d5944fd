import type { Config } from './schema.js';

/**
 * The base URL users reach Tessera at (links in mails, later the OpenID
 * issuer): TESSERA_PUBLIC_URL without a trailing slash, else the listen
 * address (a wildcard listen address reads as localhost).
 */
export function publicUrl(cfg: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  if (cfg.publicUrl) return cfg.publicUrl.replace(/\/+$/, '');
  const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? 'localhost' : cfg.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${cfg.port}`;
}
