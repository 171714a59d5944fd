import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

/**
 * External identities (issue 14): the WeChat openids and the OAuth / OpenID
 * subjects a user logs in with. A tenant table: a provider's subject is
 * unique within the tenant, and the WeChat unionid (the same person across
 * the mini-programs and web apps of one company) is indexed for the lookup
 * that makes two app ids of a tenant one user. No secret is kept here.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('user_identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('union_id', 'text')
    .addColumn('email', 'text')
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('display_name', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_login_at', big)
    .execute();
  await db.schema
    .createIndex('user_identities_subject_uq')
    .on('user_identities')
    .columns(['tenant_id', 'provider', 'subject'])
    .unique()
    .execute();
  await db.schema
    .createIndex('user_identities_union_idx')
    .on('user_identities')
    .columns(['tenant_id', 'union_id'])
    .where(sql.ref('union_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('user_identities_user_idx')
    .on('user_identities')
    .column('user_id')
    .execute();
}
