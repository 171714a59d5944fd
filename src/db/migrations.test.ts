import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dialects, createTestDb } from '../test-support/db.js';
import { migrate } from './migrate.js';

const NOW = 1_767_225_600_000;

/** Rows of every core table, written as the first migration left the schema. */
async function seed(k: Kysely<unknown>) {
  const q = k as Kysely<any>;
  await q
    .insertInto('roles')
    .values({ name: 'user', level: 10, description: 'Ordinary' })
    .execute();
  await q
    .insertInto('role_permissions')
    .values({ role: 'user', permission: 'profile:read' })
    .execute();
  await q
    .insertInto('users')
    .values({
      username: 'keep',
      username_key: 'keep',
      email: 'keep@example.com',
      email_key: 'keep@example.com',
      phone_number: null,
      display_name: 'Keep Me',
      password_hash: '$argon2id$x',
      user_type: 'kefu',
      status: 'active',
      created_at: NOW,
      updated_at: NOW,
      password_changed_at: NOW,
    })
    .execute();
  const { id } = await q.selectFrom('users').select('id').executeTakeFirstOrThrow();
  await q.insertInto('user_roles').values({ user_id: id, role: 'user' }).execute();
  const session = (sid: string, ended: boolean) => ({
    id: sid,
    user_id: id,
    device_id: 'dev-1',
    device_name: 'Phone',
    ip: '10.0.0.1',
    user_agent: 'ua',
    created_at: NOW,
    last_seen_at: NOW + 5,
    expires_at: NOW + 86_400_000,
    ended_at: ended ? NOW + 10 : null,
    end_reason: ended ? 'LOGGED_OUT' : null,
  });
  await q
    .insertInto('sessions')
    .values([session('s-live', false), session('s-ended', true)])
    .execute();
  await q
    .insertInto('refresh_tokens')
    .values({
      token_hash: 'h1',
      session_id: 's-live',
      user_id: id,
      issued_at: NOW,
      expires_at: NOW + 1000,
      used_at: null,
      successor: null,
    })
    .execute();
  await q
    .insertInto('revocations')
    .values({
      id: 'sid:s-ended',
      kind: 'sid',
      value: 's-ended',
      not_before: null,
      expires_at: NOW + 900_000,
      created_at: NOW + 10,
    })
    .execute();
  await q
    .insertInto('settings')
    .values({ key: 'maxSessions', value: '3', updated_at: NOW })
    .execute();
  await q
    .insertInto('signing_keys')
    .values({
      kid: 'k1',
      alg: 'RS256',
      private_jwk: '{"sealed":true}',
      public_jwk: '{}',
      status: 'active',
      created_at: NOW,
      retired_at: null,
      expires_at: null,
    })
    .execute();
  return id as number;
}

/** Every row of the seeded tables, in a stable order, for before/after comparison. */
async function snapshot(k: Kysely<any>) {
  const out: Record<string, unknown[]> = {};
  for (const [t, key] of [
    ['roles', 'name'],
    ['role_permissions', 'permission'],
    ['users', 'id'],
    ['user_roles', 'role'],
    ['sessions', 'id'],
    ['refresh_tokens', 'token_hash'],
    ['settings', 'key'],
    ['signing_keys', 'kid'],
  ] as const) {
    const rows = await k.selectFrom(t).selectAll().orderBy(key).execute();
    // PostgreSQL answers bigint as a string; compare values, not driver types.
    // tenant_id is what 0006 adds: checked on its own.
    out[t] = rows.map((r) =>
      Object.fromEntries(
        Object.entries(r)
          .filter(([c]) => c !== 'tenant_id')
          .map(([c, v]) => [c, v === null ? null : String(v)]),
      ),
    );
  }
  return out;
}

describe.each(dialects())('migrations on %s', (dialect) => {
  it('every later migration keeps the rows the first one holds, and backfills what it adds', async () => {
    const t = await createTestDb(dialect, '0001_init');
    try {
      const k = t.db.kysely as unknown as Kysely<any>;
      const userId = await seed(k);
      // A deleted user's id is never given again, across 0006's rebuild of users too.
      const gone = await k
        .insertInto('users')
        .values({
          ...(await k.selectFrom('users').selectAll().executeTakeFirstOrThrow()),
          id: undefined,
          username_key: 'gone',
          email_key: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await k.deleteFrom('users').where('id', '=', gone.id).execute();
      const before = await snapshot(k);
      const applied = await migrate(t.db);
      expect(applied).toEqual([
        '0003_security',
        '0004_sessions_alive_index',
        '0005_revocation_changes',
        '0006_tenants',
        '0010_identities',
      ]);
      expect(await snapshot(k)).toEqual(before);
      // Applying again changes nothing.
      expect(await migrate(t.db)).toEqual([]);
      expect(await snapshot(k)).toEqual(before);
      // 0006: every row belongs to the default tenant, which exists.
      for (const table of [
        'roles',
        'role_permissions',
        'users',
        'user_roles',
        'sessions',
        'refresh_tokens',
        'revocations',
        'settings',
        'signing_keys',
      ])
        expect(
          (await k.selectFrom(table).select('tenant_id').execute()).map((x) => x.tenant_id),
          table,
        ).toEqual(expect.arrayContaining(['default']));
      expect(await k.selectFrom('tenants').select(['id', 'status']).execute()).toEqual([
        { id: 'default', status: 'active' },
      ]);
      const next = await k
        .insertInto('users')
        .values({
          ...(await k.selectFrom('users').selectAll().executeTakeFirstOrThrow()),
          id: undefined,
          username_key: 'next',
          email_key: null,
          tenant_id: undefined,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      expect(next.id).toBeGreaterThan(gone.id);
      await k.deleteFrom('users').where('id', '=', next.id).execute();
      // 0005: every revocation gets changed_at from its created_at, so a poll finds it.
      const r = await k.selectFrom('revocations').selectAll().executeTakeFirstOrThrow();
      expect(Number(r.changed_at)).toBe(NOW + 10);
      expect(r.value).toBe('s-ended');
      // The live-session index 0004 builds answers the login policy's count.
      const live = await sql<{ n: number | string }>`
        select count(*) as n from sessions where user_id = ${userId} and ended_at is null`.execute(
        k,
      );
      expect(Number(live.rows[0]!.n)).toBe(1);
    } finally {
      await t.drop();
    }
  });
});
