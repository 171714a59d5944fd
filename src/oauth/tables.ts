import type { Kysely } from 'kysely';
import type { Dialect } from '../db/types.js';

/**
 * External providers' tables (migration 0012_oauth, decision 0020). Each has
 * `tenant_id` (db/scope.ts TENANT_TABLES), written and filtered by the tenant
 * scope and therefore absent from these types.
 */
export interface OAuthProvidersTable {
  /** Random, unique across tenants: the sealed secret's additional data names it. */
  id: string;
  name: string;
  /** The definition as JSON, without the client secret. */
  definition: string;
  /** Sealed (infra/sealing.ts SEALED_COLUMNS, aad `oauth_providers:<id>`). */
  client_secret: string;
  created_at: number;
  updated_at: number;
}

export interface OAuthStatesTable {
  /** sha-256 of the `state` parameter (256 random bits). */
  id_hash: string;
  provider: string;
  mode: 'login' | 'link';
  /** Link mode: the logged-in user who started it. */
  user_id: number | null;
  return_url: string;
  /** The application's own `state`, echoed back on its return URL (its login-CSRF check). */
  app_state: string | null;
  /** PKCE verifier, sealed (aad `oauth_states:<id_hash>`). */
  code_verifier: string;
  nonce: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface OAuthCodesTable {
  /** sha-256 of the one-time code or of the link ticket (256 random bits). */
  id_hash: string;
  /** `login`: the one-time code of a callback; `link`: a verified e-mail's link-confirmation ticket. */
  kind: 'login' | 'link';
  provider: string;
  /** The verified ExternalProfile as JSON. */
  profile: string;
  /** `link`: the existing account the ticket may be linked to. */
  user_id: number | null;
  failures: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

declare module '../db/types.js' {
  interface Database {
    oauth_providers: OAuthProvidersTable;
    oauth_states: OAuthStatesTable;
    oauth_codes: OAuthCodesTable;
  }
}

/** Migration 0012_oauth. */
export const migration0012 = {
  async up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
    const big = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('oauth_providers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('client_secret', 'text', (c) => c.notNull())
      .addColumn('created_at', big, (c) => c.notNull())
      .addColumn('updated_at', big, (c) => c.notNull())
      .addUniqueConstraint('oauth_providers_name_uq', ['tenant_id', 'name'])
      .execute();
    await db.schema
      .createTable('oauth_states')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('return_url', 'text', (c) => c.notNull())
      .addColumn('app_state', 'text')
      .addColumn('code_verifier', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('created_at', big, (c) => c.notNull())
      .addColumn('expires_at', big, (c) => c.notNull())
      .addColumn('used_at', big)
      .execute();
    await db.schema
      .createTable('oauth_codes')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('profile', 'text', (c) => c.notNull())
      .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', big, (c) => c.notNull())
      .addColumn('expires_at', big, (c) => c.notNull())
      .addColumn('used_at', big)
      .execute();
    for (const t of ['oauth_states', 'oauth_codes'])
      await db.schema.createIndex(`${t}_expiry_idx`).on(t).column('expires_at').execute();
  },
};
