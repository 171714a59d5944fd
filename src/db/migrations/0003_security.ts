import type { Kysely } from 'kysely';
import type { Dialect } from '../types.js';

/**
 * Brute-force and audit module (issue 6): secrets generated once and shared
 * by every node (ALTCHA HMAC key, device-hash key), and leases so a periodic
 * job runs on one node per period.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('security_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('next_run_at', big, (c) => c.notNull())
    .execute();
}
