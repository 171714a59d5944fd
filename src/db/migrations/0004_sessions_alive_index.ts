import type { Kysely } from 'kysely';
import type { Dialect } from '../types.js';

/**
 * Logins count and order a user's live sessions (login policy and cap). This
 * index answers both from the index alone: equality on (user_id, ended_at),
 * then created_at order, with expires_at and last_seen_at to filter without
 * reading rows. It replaces the narrower (user_id, ended_at) index.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('sessions_alive_idx')
    .on('sessions')
    .columns(['user_id', 'ended_at', 'created_at', 'expires_at', 'last_seen_at'])
    .execute();
  await db.schema.dropIndex('sessions_user_idx').execute();
}
