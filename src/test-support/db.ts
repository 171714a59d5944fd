import pg from 'pg';
import { openDb } from '../db/kysely.js';
import { migrate } from '../db/migrate.js';
import type { Db, Dialect } from '../db/types.js';
import { pgUrl, uniqueName } from './services.js';

/** Dialects this run tests: SQLite always, PostgreSQL when available. */
export function dialects(): Dialect[] {
  return pgUrl ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDb {
  db: Db;
  /** PostgreSQL schema (for starting other processes on the same data). */
  schema?: string;
  drop(): Promise<void>;
}

/**
 * A migrated, empty database of the given dialect, private to the caller;
 * with `upTo`, migrated only that far.
 */
export async function createTestDb(dialect: Dialect, upTo?: string): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const db = await openDb({ sqlitePath: ':memory:' });
    await migrate(db, {}, upTo);
    return { db, drop: () => db.close() };
  }
  if (!pgUrl) throw new Error('PostgreSQL tests need TESSERA_TEST_DATABASE_URL');
  const schema = uniqueName('pg').toLowerCase();
  const db = await openDb({ databaseUrl: pgUrl, schema });
  await migrate(db, {}, upTo);
  return {
    db,
    schema,
    drop: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  if (!pgUrl) return;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}
