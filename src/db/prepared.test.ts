import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, dialects, type TestDb } from '../test-support/db.js';
import { prepared } from './prepared.js';

describe.each(dialects())('prepared queries on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(() => t.drop());

  it('bind arguments by position, whatever order the SQL uses them in', async () => {
    const k = t.db.kysely;
    const put = prepared((level: number, name: string, description: string | null) =>
      k.insertInto('roles').values({ name, level, description }),
    );
    const find = prepared((min: number, name: string) =>
      k
        .selectFrom('roles')
        .select(['name', 'level', 'description'])
        .where('name', '=', name)
        .where('level', '>=', min),
    );
    expect(await put.affected(k, 5, 'alpha', null)).toBe(1);
    expect(await put.affected(k, 7, 'beta', 'second')).toBe(1);
    expect(await find.first(k, 1, 'beta')).toEqual({
      name: 'beta',
      level: 7,
      description: 'second',
    });
    expect(await find.rows(k, 6, 'alpha')).toEqual([]);
    await k.transaction().execute(async (tx) => {
      expect((await find.first(tx, 0, 'alpha'))?.level).toBe(5);
    });
  });

  it('refuses a builder with a constant value (it would be frozen in)', () => {
    const k = t.db.kysely;
    const bad = prepared((name: string) =>
      k.selectFrom('roles').selectAll().where('name', '=', name).where('level', '=', 3),
    );
    return expect(bad.rows(k, 'x')).rejects.toThrow(/constant parameter/);
  });
});
