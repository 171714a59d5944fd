import { describe, expect, it } from 'vitest';
import { dialects, createTestDb } from '../test-support/db.js';
import { migrate } from './migrate.js';

describe.each(dialects())('migrations on %s', (dialect) => {
  it('apply once, are idempotent, and keep existing rows', async () => {
    const t = await createTestDb(dialect);
    try {
      const k = t.db.kysely;
      await k.insertInto('roles').values({ name: 'user', level: 10, description: null }).execute();
      const now = Date.now();
      await k
        .insertInto('users')
        .values({
          username: 'keep',
          username_key: 'keep',
          email: null,
          email_key: null,
          phone_number: null,
          display_name: null,
          password_hash: 'x',
          user_type: 'user',
          status: 'active',
          created_at: now,
          updated_at: now,
          password_changed_at: now,
        })
        .execute();
      expect(await migrate(t.db)).toEqual([]);
      const u = await k.selectFrom('users').selectAll().executeTakeFirstOrThrow();
      expect(u.username).toBe('keep');
      expect(typeof u.created_at).toBe('number');
      expect(u.created_at).toBe(now);
    } finally {
      await t.drop();
    }
  });
});
