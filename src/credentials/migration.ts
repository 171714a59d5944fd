import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db/types.js';

/**
 * 0009_credentials: the users' mail language and e-mail proof, and the
 * one-time tokens of password reset and e-mail verification.
 *  - `users.locale`: the language mails are written in (set at register);
 *  - `users.email_verified_at`: when the current address was proven. Users
 *    that exist now count as verified (their address was accepted before
 *    verification existed; refusing their logins on upgrade would lock out
 *    every deployment that turns `required` on), as of this migration's time;
 *  - `credential_tokens`: only the SHA-256 of each token is stored, with the
 *    tenant (a tenant table, src/db/scope.ts), the user, its purpose, the
 *    e-mail key a verification token proves, its expiry and its use.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('users').addColumn('locale', 'text').execute();
  await db.schema.alterTable('users').addColumn('email_verified_at', big).execute();
  await sql`update users set email_verified_at = ${Date.now()} where email is not null`.execute(db);
  await db.schema
    .createTable('credential_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('used_at', big)
    .execute();
  await db.schema
    .createIndex('credential_tokens_user_idx')
    .on('credential_tokens')
    .columns(['user_id', 'purpose'])
    .execute();
}
