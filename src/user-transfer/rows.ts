import type { TenantId } from '../db/scope.js';
import { ab64 } from '../passwords/foreign.js';
import { hashFamily } from '../passwords/hasher.js';
import { checkEmail, checkPhone, checkUsername } from '../users/identity.js';
import { USER_TYPE } from '../users/service.js';

/** A record checked and put in Tessera's terms: what an insert or an update writes. */
export interface ImportRow {
  row: number;
  line: number;
  tenant: TenantId;
  username: string;
  usernameKey: string;
  email?: { display: string; key: string };
  phone?: string;
  displayName?: string;
  userType?: string;
  roles?: string[];
  /** The stored hash (given, or made from a plain-text password with --hash-plaintext). */
  hash?: string;
  /** A plain-text password to hash (--hash-plaintext only). */
  plaintext?: string;
  disabled?: boolean;
  /** When the e-mail was proven; 'now' for a plain `email_verified: true`. */
  emailVerifiedAt?: number | null | 'now';
  locale?: string;
  createdAt?: number;
}

/** Every column (JSON key) an import reads, by the names it accepts (the first is the export's). */
const ALIASES: Record<string, readonly string[]> = {
  username: ['username', 'user_name', 'login'],
  email: ['email', 'email_address'],
  phone: ['phone', 'phone_number', 'phonenumber', 'mobile'],
  display_name: ['display_name', 'displayname', 'name', 'nickname'],
  user_type: ['user_type', 'usertype', 'type'],
  roles: ['roles', 'role'],
  tenant: ['tenant', 'tenant_id'],
  password_hash: ['password_hash', 'passwordhash', 'hash', 'credentials'],
  password: ['password', 'plain_password'],
  disabled: ['disabled'],
  enabled: ['enabled'],
  status: ['status', 'state'],
  email_verified: ['email_verified', 'emailverified'],
  email_verified_at: ['email_verified_at'],
  locale: ['locale', 'language'],
  created_at: ['created_at', 'createdat', 'createdtimestamp', 'date_joined'],
  first_name: ['first_name', 'firstname'],
  last_name: ['last_name', 'lastname'],
  // What an --errors file adds, read back without complaint.
  row: ['row', '_row'],
  error: ['error', '_error'],
};
const BY_NAME = new Map(
  Object.entries(ALIASES).flatMap(([col, names]) => names.map((n) => [n, col] as const)),
);

/** The column a header cell or JSON key names (case and `-`/space insensitive), or undefined. */
export function columnOf(name: string): string | undefined {
  return BY_NAME.get(name.trim().toLowerCase().replace(/[\s-]/g, '_'));
}

/** The columns an export writes, in order. */
export const EXPORT_COLUMNS = [
  'username',
  'email',
  'phone',
  'display_name',
  'user_type',
  'roles',
  'tenant',
  'password_hash',
  'disabled',
  'email_verified_at',
  'locale',
  'created_at',
] as const;

export class RowError extends Error {}
const refuse = (why: string): never => {
  throw new RowError(why);
};

const text = (v: unknown, col: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') return refuse(`${col} must be text`);
  return v.trim() === '' ? undefined : v.trim();
};

function bool(v: unknown, col: string): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const t = text(v, col)?.toLowerCase();
  if (t === undefined) return undefined;
  if (['true', '1', 'yes', 'y', 't'].includes(t)) return true;
  if (['false', '0', 'no', 'n', 'f'].includes(t)) return false;
  return refuse(`${col} must be true or false`);
}

/** A time: epoch milliseconds, or an ISO 8601 date. */
function time(v: unknown, col: string): number | undefined {
  const t = text(v, col);
  if (t === undefined) return undefined;
  const ms = /^\d{1,15}$/.test(t) ? Number(t) : Date.parse(t);
  if (!Number.isFinite(ms)) refuse(`${col} must be an ISO 8601 date or epoch milliseconds`);
  return ms;
}

function roles(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map((r) => text(r, 'roles') ?? refuse('an empty role name'));
  const t = text(v, 'roles');
  return t
    ?.split(/[|;]/)
    .map((r) => r.trim())
    .filter((r) => r !== '');
}

const b64 = (s: unknown, what: string): Buffer =>
  typeof s === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(s)
    ? Buffer.from(s, 'base64')
    : refuse(`the Keycloak credential's ${what} must be base64`);

const KEYCLOAK_PBKDF2: Record<string, string> = {
  pbkdf2: '$pbkdf2$',
  'pbkdf2-sha256': '$pbkdf2-sha256$',
  'pbkdf2-sha512': '$pbkdf2-sha512$',
};

const parseJson = (v: unknown): Record<string, unknown> => {
  if (typeof v !== 'string') return (v ?? {}) as Record<string, unknown>;
  try {
    return JSON.parse(v) as Record<string, unknown>;
  } catch {
    return refuse('a Keycloak credential field is not JSON');
  }
};

/**
 * A Keycloak credential, as its realm export writes it (`credentials[]` with
 * `secretData` and `credentialData` as JSON text) or flat
 * (`{algorithm, hashIterations, salt, value}`), as one stored string: PBKDF2
 * in passlib's form, argon2 as a PHC string.
 */
function keycloakHash(c: Record<string, unknown>): string {
  const secret = 'secretData' in c ? parseJson(c.secretData) : c;
  const data = 'credentialData' in c ? parseJson(c.credentialData) : c;
  const algorithm = String(data.algorithm ?? '');
  const iterations = Number(data.hashIterations);
  const salt = b64(secret.salt, 'salt');
  const value = b64(secret.value, 'value');
  if (!Number.isInteger(iterations) || iterations < 1)
    refuse("the Keycloak credential's hashIterations must be a whole number");
  const prefix = KEYCLOAK_PBKDF2[algorithm];
  if (prefix) return `${prefix}${iterations}$${ab64.encode(salt)}$${ab64.encode(value)}`;
  if (algorithm === 'argon2') {
    // additionalParameters: {type: ["id"], memory: ["7168"], parallelism: ["1"], version: ["1.3"]}.
    const p = (data.additionalParameters ?? {}) as Record<string, unknown>;
    const one = (k: string, d: string) => String((Array.isArray(p[k]) ? p[k][0] : p[k]) ?? d);
    const type = one('type', 'id');
    if (!['id', 'i', 'd'].includes(type)) refuse(`unknown Keycloak argon2 type ${type}`);
    const v = one('version', '1.3') === '1.0' ? 16 : 19;
    const nopad = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    return `$argon2${type}$v=${v}$m=${one('memory', '7168')},t=${iterations},p=${one('parallelism', '1')}$${nopad(salt)}$${nopad(value)}`;
  }
  return refuse(`unknown Keycloak algorithm "${algorithm}"`);
}

function hashOf(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    const pw = v.find((c) => (c as { type?: unknown } | null)?.type === 'password') as
      Record<string, unknown> | undefined;
    return pw ? keycloakHash(pw) : refuse('credentials hold no password credential');
  }
  if (v !== null && typeof v === 'object') return keycloakHash(v as Record<string, unknown>);
  // A hash keeps its spaces-free form: no trim beyond the edges.
  return text(v, 'password_hash');
}

export interface RowContext {
  /** --tenant: every row goes there, whatever its tenant column says (a move between tenants). */
  tenant?: TenantId;
  /** The tenant a row names, if active; undefined when unknown or disabled. */
  activeTenant(raw: string): TenantId | undefined;
  hashPlaintext: boolean;
}

/** A record's fields checked one by one; throws RowError with the first problem. */
export function checkRow(
  fields: Record<string, unknown>,
  at: { row: number; line: number },
  ctx: RowContext,
): ImportRow {
  const f: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    const col = columnOf(k);
    if (col && f[col] === undefined) f[col] = v;
  }
  const rawName = text(f.username, 'username') ?? refuse('username is missing');
  const u = checkUsername(rawName);
  if (!u.ok) return refuse(u.problem);
  const out: ImportRow = { ...at, tenant: ctx.tenant!, username: u.display, usernameKey: u.key };

  const tenantName = ctx.tenant ? undefined : text(f.tenant, 'tenant');
  if (tenantName !== undefined)
    out.tenant = ctx.activeTenant(tenantName) ?? refuse(`unknown tenant ${tenantName}`);
  else out.tenant = ctx.tenant ?? ctx.activeTenant('default')!;

  const email = text(f.email, 'email');
  if (email !== undefined) {
    const e = checkEmail(email);
    if (!e.ok) return refuse(e.problem);
    out.email = e;
  }
  const phone = text(f.phone, 'phone');
  if (phone !== undefined) {
    const p = checkPhone(phone);
    if (!p.ok) return refuse(p.problem);
    out.phone = p.display;
  }
  const name =
    text(f.display_name, 'display_name') ??
    ([text(f.first_name, 'first_name'), text(f.last_name, 'last_name')].filter(Boolean).join(' ') ||
      undefined);
  if (name !== undefined) out.displayName = name.slice(0, 200);
  const type = text(f.user_type, 'user_type');
  if (type !== undefined) {
    if (!USER_TYPE.test(type)) refuse('user_type must be a lower-case identifier');
    out.userType = type;
  }
  const r = roles(f.roles);
  if (r !== undefined) out.roles = [...new Set(r)];

  const hash = hashOf(f.password_hash);
  const plain = f.password === undefined || f.password === null ? undefined : String(f.password);
  if (hash !== undefined) {
    const fam = hashFamily(hash);
    if ('problem' in fam) refuse(`password_hash: ${fam.problem}`);
    out.hash = hash;
  } else if (plain !== undefined && plain !== '') {
    if (!ctx.hashPlaintext)
      refuse('a plain-text password is refused: give password_hash, or run with --hash-plaintext');
    out.plaintext = plain;
  }

  const disabled = bool(f.disabled, 'disabled');
  const enabled = bool(f.enabled, 'enabled');
  const status = text(f.status, 'status')?.toLowerCase();
  if (status !== undefined && status !== 'active' && status !== 'disabled')
    refuse('status must be active or disabled');
  const off = disabled ?? (enabled === undefined ? undefined : !enabled);
  if (off !== undefined || status !== undefined) out.disabled = off ?? status === 'disabled';

  const verifiedAt = time(f.email_verified_at, 'email_verified_at');
  const verified = bool(f.email_verified, 'email_verified');
  if (verifiedAt !== undefined) out.emailVerifiedAt = verifiedAt;
  else if (verified !== undefined) out.emailVerifiedAt = verified ? 'now' : null;
  const locale = text(f.locale, 'locale');
  if (locale !== undefined) out.locale = locale.slice(0, 64);
  const created = time(f.created_at, 'created_at');
  if (created !== undefined) out.createdAt = created;
  return out;
}
