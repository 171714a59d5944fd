import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { publicUrl } from '../config/public-url.js';
import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';

/**
 * A one-time token: 256 random bits, base64url (43 characters) in the mail;
 * only its SHA-256 is stored. A high-entropy token needs no salt or slow
 * hash: the stored value cannot be reversed, and looking a row up by it
 * tells a guesser nothing about any other token.
 */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: tokenHash(token) };
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The link a mail carries: the configured page (or `<publicUrl>/login/reset`,
 * `/login/verify`) with `token=`, and `tenant=` outside the default tenant
 * (the page calls the API in that tenant, e.g. with X-Tessera-Tenant).
 */
export function mailLink(
  config: Config,
  kind: 'reset' | 'verify',
  token: string,
  tenant: TenantId,
): string {
  const page =
    (kind === 'reset' ? config.resetUrl : config.verifyUrl) ?? `${publicUrl(config)}/login/${kind}`;
  const q = new URLSearchParams({ token });
  if (tenant !== DEFAULT_TENANT) q.set('tenant', tenant);
  return `${page}${page.includes('?') ? '&' : '?'}${q.toString()}`;
}
