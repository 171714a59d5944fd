import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

/**
 * Nodes converge from SQL, not only from pub/sub (issue 20): each polls the
 * revocations changed since its last look, by `changed_at`, an indexed
 * instant that every upsert moves forward. Recently ended sessions are read
 * at start through the ended_at index.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('revocations')
    .addColumn('changed_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update revocations set changed_at = created_at`.execute(db);
  await db.schema
    .createIndex('revocations_changed_idx')
    .on('revocations')
    .column('changed_at')
    .execute();
  await db.schema.createIndex('sessions_ended_idx').on('sessions').column('ended_at').execute();
}
