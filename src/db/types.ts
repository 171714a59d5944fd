import type { Generated, Kysely } from 'kysely';

/**
 * All times are integer milliseconds since the epoch (bigint in PostgreSQL, parsed to number).
 *
 * The tables in db/scope.ts' TENANT_TABLES also have `tenant_id text not
 * null`. It is left out of these types on purpose: the scope writes and
 * filters it, and no store names it.
 */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  username_key: string;
  email: string | null;
  email_key: string | null;
  phone_number: string | null;
  display_name: string | null;
  password_hash: string;
  user_type: string;
  status: string;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
  /** Preferred language of mails (`en`, `zh-CN`, or an Accept-Language value); migration 0009. */
  locale: string | null;
  /** When the current e-mail was proven (null: not yet, or no e-mail); migration 0009. */
  email_verified_at: number | null;
}

export interface RolesTable {
  name: string;
  level: number;
  description: string | null;
}

export interface RolePermissionsTable {
  role: string;
  permission: string;
}

export interface UserRolesTable {
  user_id: number;
  role: string;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  /** Private JWK as JSON; null for operator-supplied keys kept outside the database. */
  private_jwk: string | null;
  public_jwk: string;
  status: string;
  created_at: number;
  /** When the key stopped signing; null while active. */
  retired_at: number | null;
  /** When the key leaves the JWKS (no live token can be signed by it any more). */
  expires_at: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: number;
  device_id: string | null;
  device_name: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: number;
  last_seen_at: number;
  /** Absolute end of the session. */
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token; the token itself is never stored. */
  token_hash: string;
  session_id: string;
  user_id: number;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
  /** Successor encrypted under a key derived from this token (reuse grace window). */
  successor: string | null;
}

export interface RevocationsTable {
  /** `sid:<id>`, `jti:<id>` or `user:<id>`. */
  id: string;
  kind: string;
  value: string;
  /** For `user`: tokens issued before this instant are refused. */
  not_before: number | null;
  /** When every token the entry concerns has expired; the row can go. */
  expires_at: number;
  created_at: number;
  /** Last time the row was written (insert or merge): what pollers read by. */
  changed_at: number;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  event: string;
  outcome: string;
  user_id: number | null;
  username: string | null;
  ip: string | null;
  user_agent: string | null;
  device_id: string | null;
  session_id: string | null;
  reason: string | null;
  actor_id: number | null;
  data: string | null;
}

export interface KnownDevicesTable {
  user_id: number;
  kind: string;
  value_hash: string;
  first_seen: number;
  last_seen: number;
}

export interface TenantsTable {
  /** A DNS label: lower-case letters, digits, inner hyphens. */
  id: string;
  name: string;
  /** `active` or `disabled`. */
  status: string;
  created_at: number;
  updated_at: number;
}

/**
 * An external identity of a user (migration 0010): a WeChat openid
 * (`wechat-mp:<appid>`), an OAuth / OpenID subject (`oauth:<name>`).
 * Unique by (tenant, provider, subject). No secret is stored here.
 */
export interface UserIdentitiesTable {
  id: string;
  user_id: number;
  provider: string;
  subject: string;
  /** WeChat unionid: one person across the apps of one WeChat open-platform account. */
  union_id: string | null;
  email: string | null;
  /** 0 or 1 (both dialects store an integer). */
  email_verified: number;
  display_name: string | null;
  created_at: number;
  last_login_at: number | null;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  signing_keys: SigningKeysTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  revocations: RevocationsTable;
  settings: SettingsTable;
  audit_events: AuditEventsTable;
  known_devices: KnownDevicesTable;
  user_identities: UserIdentitiesTable;
}

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL schema the tables live in; undefined for SQLite. */
  schema?: string;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
