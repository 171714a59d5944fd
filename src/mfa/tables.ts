import type { Kysely } from 'kysely';
import type { Dialect } from '../db/types.js';
import type { LoginMethod } from '../login/pipeline.js';

/**
 * The second factor's tables (migration 0008_mfa). Each has `tenant_id`
 * (db/scope.ts TENANT_TABLES), written and filtered by the tenant scope and
 * therefore absent from these types.
 */
export interface MfaTotpTable {
  /** One TOTP factor per user; user ids are unique across tenants. */
  user_id: number;
  /** The base32 secret, sealed (infra/sealing.ts SEALED_COLUMNS, aad `mfa_totp:<user_id>`). */
  secret: string;
  /** `pending` until a first valid code confirms it, then `active`. */
  status: 'pending' | 'active';
  created_at: number;
  confirmed_at: number | null;
  /** The last accepted time step (RFC 6238 T): a code is accepted once, on every node. */
  last_step: number | null;
}

export interface MfaRecoveryCodesTable {
  user_id: number;
  /** sha-256 of the user id and the normalised code (80 random bits). */
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface MfaTicketsTable {
  /** sha-256 of the ticket (256 random bits) the client holds. */
  id_hash: string;
  user_id: number;
  /** `login`: answer with a code; `enroll`: set a factor up, then the login completes. */
  kind: 'login' | 'enroll';
  /** The attempt it continues: the name as typed, its user type, how the password came, the device. */
  username: string;
  user_type: string | null;
  method: LoginMethod;
  device_id: string | null;
  device_name: string | null;
  failures: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

declare module '../db/types.js' {
  interface Database {
    mfa_totp: MfaTotpTable;
    mfa_recovery_codes: MfaRecoveryCodesTable;
    mfa_tickets: MfaTicketsTable;
  }
}

/** Migration 0008_mfa. */
export const migration0008 = {
  async up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
    const big = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('mfa_totp')
      .addColumn('user_id', 'integer', (c) =>
        c.primaryKey().references('users.id').onDelete('cascade'),
      )
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', big, (c) => c.notNull())
      .addColumn('confirmed_at', big)
      .addColumn('last_step', big)
      .execute();
    await db.schema
      .createTable('mfa_recovery_codes')
      .addColumn('user_id', 'integer', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', big, (c) => c.notNull())
      .addColumn('used_at', big)
      .addPrimaryKeyConstraint('mfa_recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();
    await db.schema
      .createTable('mfa_tickets')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .addColumn('user_id', 'integer', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('user_type', 'text')
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text')
      .addColumn('device_name', 'text')
      .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', big, (c) => c.notNull())
      .addColumn('expires_at', big, (c) => c.notNull())
      .addColumn('used_at', big)
      .execute();
    await db.schema
      .createIndex('mfa_tickets_expiry_idx')
      .on('mfa_tickets')
      .column('expires_at')
      .execute();
    await db.schema
      .createIndex('mfa_tickets_user_idx')
      .on('mfa_tickets')
      .column('user_id')
      .execute();
  },
};
