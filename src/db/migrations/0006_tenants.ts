import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

/**
 * Tenants (issue 11): a `tenants` table holding the implicit `default`, and
 * `tenant_id` on every table whose rows belong to one (existing rows go to
 * `default`). What was unique across the deployment becomes unique within a
 * tenant: usernames, e-mails, role names, setting keys. Ids that are random
 * or generated (users, sessions, refresh hashes, key ids, jti) stay globally
 * unique, so the tenant is a filter on them, never part of their key.
 *
 * SQLite cannot drop a column's UNIQUE or change a primary key in place: the
 * four affected tables are rebuilt (the documented 12-step procedure, with
 * foreign keys off and checked after, in one transaction). Role names lose
 * their foreign keys, which cannot span (tenant, name) without rebuilding
 * every referencing table; the role store deletes a role's grants itself.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  const now = Date.now();
  await sql`insert into tenants (id, name, status, created_at, updated_at)
    values ('default', 'Default', 'active', ${now}, ${now})`.execute(db);

  for (const t of [
    'signing_keys',
    'sessions',
    'refresh_tokens',
    'revocations',
    'audit_events',
    'known_devices',
  ])
    await db.schema
      .alterTable(t)
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .execute();
  await db.schema
    .createIndex('audit_tenant_at_idx')
    .on('audit_events')
    .columns(['tenant_id', 'at'])
    .execute();
  await db.schema
    .createIndex('sessions_tenant_idx')
    .on('sessions')
    .columns(['tenant_id', 'ended_at'])
    .execute();

  if (dialect === 'postgres') await postgres(db);
  else await sqlite(db);
}

async function postgres(db: Kysely<unknown>): Promise<void> {
  for (const t of ['users', 'roles', 'role_permissions', 'user_roles', 'settings'])
    await db.schema
      .alterTable(t)
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .execute();
  await sql`alter table users drop constraint users_username_key_key`.execute(db);
  await sql`alter table users drop constraint users_email_key_key`.execute(db);
  await sql`alter table users add constraint users_tenant_username_key unique (tenant_id, username_key)`.execute(
    db,
  );
  await sql`alter table users add constraint users_tenant_email_key unique (tenant_id, email_key)`.execute(
    db,
  );
  await sql`alter table role_permissions drop constraint role_permissions_role_fkey`.execute(db);
  await sql`alter table user_roles drop constraint user_roles_role_fkey`.execute(db);
  await sql`alter table role_permissions drop constraint role_permissions_pk`.execute(db);
  await sql`alter table roles drop constraint roles_pkey`.execute(db);
  await sql`alter table roles add primary key (tenant_id, name)`.execute(db);
  await sql`alter table role_permissions add constraint role_permissions_pk primary key (tenant_id, role, permission)`.execute(
    db,
  );
  await sql`alter table settings drop constraint settings_pkey`.execute(db);
  await sql`alter table settings add primary key (tenant_id, key)`.execute(db);
}

async function sqlite(db: Kysely<unknown>): Promise<void> {
  // Foreign keys cannot be switched inside a transaction: off, then one transaction, then on.
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin`.execute(db);
    try {
      await sql`create table users_new (
        id integer primary key autoincrement,
        tenant_id text not null default 'default',
        username text not null,
        username_key text not null,
        email text,
        email_key text,
        phone_number text,
        display_name text,
        password_hash text not null,
        user_type text not null default 'user',
        status text not null default 'active',
        created_at integer not null,
        updated_at integer not null,
        password_changed_at integer not null,
        unique (tenant_id, username_key),
        unique (tenant_id, email_key)
      )`.execute(db);
      await sql`insert into users_new (id, username, username_key, email, email_key, phone_number,
        display_name, password_hash, user_type, status, created_at, updated_at, password_changed_at)
        select id, username, username_key, email, email_key, phone_number, display_name,
        password_hash, user_type, status, created_at, updated_at, password_changed_at from users`.execute(
        db,
      );
      await sql`create table roles_new (
        tenant_id text not null default 'default',
        name text not null,
        level integer not null default 0,
        description text,
        primary key (tenant_id, name)
      )`.execute(db);
      await sql`insert into roles_new (name, level, description) select name, level, description from roles`.execute(
        db,
      );
      await sql`create table role_permissions_new (
        tenant_id text not null default 'default',
        role text not null,
        permission text not null,
        primary key (tenant_id, role, permission)
      )`.execute(db);
      await sql`insert into role_permissions_new (role, permission) select role, permission from role_permissions`.execute(
        db,
      );
      await sql`create table user_roles_new (
        tenant_id text not null default 'default',
        user_id integer not null references users(id) on delete cascade,
        role text not null,
        primary key (user_id, role)
      )`.execute(db);
      await sql`insert into user_roles_new (user_id, role) select user_id, role from user_roles`.execute(
        db,
      );
      await sql`create table settings_new (
        tenant_id text not null default 'default',
        key text not null,
        value text not null,
        updated_at integer not null,
        primary key (tenant_id, key)
      )`.execute(db);
      await sql`insert into settings_new (key, value, updated_at) select key, value, updated_at from settings`.execute(
        db,
      );
      // Ids never come back: keep the sequence where the old table left it.
      const seq = await sql<{
        seq: number;
      }>`select seq from sqlite_sequence where name = 'users'`.execute(db);
      for (const t of ['user_roles', 'role_permissions', 'roles', 'settings', 'users'])
        await sql`drop table ${sql.table(t)}`.execute(db);
      for (const t of ['users', 'roles', 'role_permissions', 'user_roles', 'settings'])
        await sql`alter table ${sql.table(`${t}_new`)} rename to ${sql.table(t)}`.execute(db);
      const last = seq.rows[0]?.seq;
      if (last !== undefined)
        await sql`update sqlite_sequence set seq = max(seq, ${last}) where name = 'users'`.execute(
          db,
        );
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length)
        throw new Error(
          `foreign keys broken by the tenants migration: ${JSON.stringify(broken.rows)}`,
        );
      await sql`commit`.execute(db);
    } catch (e) {
      await sql`rollback`.execute(db);
      throw e;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}
