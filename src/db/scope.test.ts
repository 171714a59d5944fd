import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, dialects } from '../test-support/db.js';
import { prepared } from './prepared.js';
import { DEFAULT_TENANT, UNSCOPED, asTenantId, tenantSql, type TenantId } from './scope.js';
import type { Db } from './types.js';

const A = asTenantId('acme')!;
const B = asTenantId('beta')!;

const user = (name: string) => ({
  username: name,
  username_key: name,
  email: `${name}@example.com`,
  email_key: `${name}@example.com`,
  password_hash: 'x',
  user_type: 'user',
  status: 'active',
  created_at: 1,
  updated_at: 1,
  password_changed_at: 1,
});

describe.each(dialects())('tenant scope (%s)', (dialect) => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await createTestDb(dialect));
  });
  afterAll(() => drop());

  it('a query on a tenant table without a scope throws before it reaches the database', async () => {
    const t = tenantSql(db.kysely);
    await expect(t.shared.selectFrom('users').selectAll().execute()).rejects.toThrow(UNSCOPED);
    await expect(t.shared.deleteFrom('sessions').where('id', '=', 'x').execute()).rejects.toThrow(
      UNSCOPED,
    );
    await expect(t.shared.insertInto('users').values(user('nobody')).execute()).rejects.toThrow(
      UNSCOPED,
    );
    // A subquery counts too.
    await expect(
      t.shared
        .selectFrom('tenants')
        .select('id')
        .where('id', 'in', (eb) => eb.selectFrom('users').select('username'))
        .execute(),
    ).rejects.toThrow(UNSCOPED);
    // A prepared query built without a scope fails at its first run.
    const unscoped = prepared((id: number) =>
      t.shared.selectFrom('users').selectAll().where('id', '=', id),
    );
    await expect(unscoped.rows(t.shared, 1)).rejects.toThrow(UNSCOPED);
    // Tables that belong to no tenant stay reachable.
    expect(await t.shared.selectFrom('tenants').select('id').execute()).toEqual([
      { id: 'default' },
    ]);
  });

  it('each scope writes its tenant and reads only its own rows; the same username lives in both', async () => {
    const t = tenantSql(db.kysely);
    const a = t.scope(A);
    const b = t.scope(B);
    const idA = (
      await a.insertInto('users').values(user('same')).returning('id').executeTakeFirstOrThrow()
    ).id;
    const idB = (
      await b.insertInto('users').values(user('same')).returning('id').executeTakeFirstOrThrow()
    ).id;
    expect(idA).not.toBe(idB);
    // The id of A's user is nothing to B: read, update and delete all miss.
    expect(
      await b.selectFrom('users').selectAll().where('id', '=', idA).executeTakeFirst(),
    ).toBeUndefined();
    const upd = await b
      .updateTable('users')
      .set({ display_name: 'x' })
      .where('id', '=', idA)
      .executeTakeFirst();
    expect(Number(upd.numUpdatedRows)).toBe(0);
    const del = await b.deleteFrom('users').where('id', '=', idA).executeTakeFirst();
    expect(Number(del.numDeletedRows)).toBe(0);
    expect(
      (await a.selectFrom('users').select('username').where('id', '=', idA).execute()).length,
    ).toBe(1);
    // Unique within a tenant.
    await expect(a.insertInto('users').values(user('same')).execute()).rejects.toThrow();
    // The column is the scope's: what the rows say.
    const all = await t
      .all('test reads every tenant')
      .selectFrom('users')
      .select(['id', sql<string>`tenant_id`.as('tenant')])
      .where('username_key', '=', 'same')
      .orderBy('id')
      .execute();
    expect(all).toEqual([
      { id: idA, tenant: 'acme' },
      { id: idB, tenant: 'beta' },
    ]);
  });

  it('a scope refuses to be told the tenant column, and a malformed tenant id', async () => {
    const t = tenantSql(db.kysely);
    await expect(
      t
        .scope(A)
        .insertInto('settings')
        .values({ key: 'k', value: '1', updated_at: 1, tenant_id: 'beta' } as never)
        .execute(),
    ).rejects.toThrow(UNSCOPED);
    expect(() => t.scope('Not A Tenant' as TenantId)).toThrow(UNSCOPED);
    expect(asTenantId('-bad')).toBeUndefined();
    expect(asTenantId('a'.repeat(64))).toBeUndefined();
    expect(asTenantId('kindergarten-42')).toBe('kindergarten-42');
  });

  it('transactions and prepared queries keep the scope; a prepared query takes the tenant as a value', async () => {
    const t = tenantSql(db.kysely);
    await t
      .scope(A)
      .transaction()
      .execute(async (tx) => {
        await tx
          .insertInto('settings')
          .values({ key: 'tx', value: '"a"', updated_at: 1 })
          .execute();
      });
    await t
      .scope(B)
      .insertInto('settings')
      .values({ key: 'tx', value: '"b"', updated_at: 1 })
      .execute();
    const byKey = prepared((tenant: TenantId, key: string) =>
      t.scope(tenant).selectFrom('settings').select('value').where('key', '=', key),
    );
    expect(await byKey.rows(t.shared, A, 'tx')).toEqual([{ value: '"a"' }]);
    expect(await byKey.rows(t.shared, B, 'tx')).toEqual([{ value: '"b"' }]);
    expect(await byKey.rows(t.shared, DEFAULT_TENANT, 'tx')).toEqual([]);
  });
});
