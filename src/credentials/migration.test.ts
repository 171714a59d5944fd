import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { FEATURES } from '../app/features.js';
import { declarationsOf } from '../app/lifecycle.js';
import { migrate } from '../db/migrate.js';
import { createTestDb, dialects } from '../test-support/db.js';

/** 0009_credentials on a database with users: the existing ones count as verified. */
describe.each(dialects())('migration 0009_credentials (%s)', (dialect) => {
  it('marks existing users with an e-mail verified, leaves the others unverified, adds the token table', async () => {
    const t = await createTestDb(dialect, '0006_tenants');
    try {
      const k = t.db.kysely as unknown as Kysely<unknown>;
      for (const [name, email] of [
        ['withmail', 'withmail@example.com'],
        ['nomail', null],
      ] as const)
        await sql`insert into users (username, username_key, email, email_key, password_hash,
          user_type, status, created_at, updated_at, password_changed_at)
          values (${name}, ${name}, ${email}, ${email}, '$argon2id$x', 'user', 'active', 1, 1, 1)`.execute(
          k,
        );
      const applied = await migrate(t.db, declarationsOf(FEATURES).migrations);
      expect(applied).toContain('0009_credentials');
      const rows = await t.db.kysely
        .selectFrom('users')
        .select(['username', 'email_verified_at', 'locale'])
        .orderBy('username')
        .execute();
      expect(rows.map((r) => [r.username, r.email_verified_at !== null, r.locale])).toEqual([
        ['nomail', false, null],
        ['withmail', true, null],
      ]);
      expect(await t.db.kysely.selectFrom('credential_tokens').selectAll().execute()).toEqual([]);
    } finally {
      await t.drop();
    }
  });
});
