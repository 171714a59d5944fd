import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SqliteStatement } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './types.js';

// int8 (bigint) columns hold millisecond times and counters well below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface DbOptions {
  databaseUrl?: string | undefined;
  /** PostgreSQL schema (created if missing). */
  schema?: string | undefined;
  /** SQLite file; ':memory:' for throw-away databases. */
  sqlitePath?: string;
  dataDir?: string;
  /**
   * Told each statement's time in seconds and whether it failed (the metrics'
   * SQL histogram), timed at the driver: better-sqlite3's call, pg's query.
   * Not Kysely's `log` hook, whose awaited calls cost ~3 µs a statement
   * (25% of a simple SQLite one; decision 0022); this costs two clock reads.
   */
  onQuery?: OnQuery;
}

type OnQuery = (seconds: number, failed: boolean) => void;

/** A statement whose calls are timed: made once per cached statement, not per query. */
function timedStatement(stmt: SqliteDatabase.Statement, onQuery: OnQuery): SqliteStatement {
  const timed =
    <A extends unknown[], R>(fn: (...a: A) => R) =>
    (...a: A): R => {
      const t0 = performance.now();
      let failed = true;
      try {
        const r = fn(...a);
        failed = false;
        return r;
      } finally {
        onQuery((performance.now() - t0) / 1000, failed);
      }
    };
  return {
    reader: stmt.reader,
    // As Kysely calls them: the parameters as one array.
    all: timed((p: readonly unknown[]) => stmt.all(p)),
    run: timed((p: readonly unknown[]) => stmt.run(p)),
    iterate: (p: readonly unknown[]) => stmt.iterate(p),
  };
}

/** Opens the embedded SQLite database or PostgreSQL, per the options. */
export async function openDb(opts: DbOptions): Promise<Db> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.schema, opts.onQuery);
  const path = opts.sqlitePath ?? join(opts.dataDir ?? './data', 'tessera.db');
  if (path !== ':memory:') mkdirSync(join(path, '..'), { recursive: true });
  return openSqlite(path, opts.onQuery);
}

function openSqlite(path: string, onQuery: OnQuery | undefined): Db {
  const raw = new SqliteDatabase(path);
  // WAL: readers never block the writer; NORMAL sync is durable across process
  // crashes and loses at most the last transactions on power loss (SQLite docs).
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(raw, onQuery) }),
  });
  return {
    kysely,
    dialect: 'sqlite',
    ping: async () => {
      raw.prepare('select 1').get();
    },
    close: () => kysely.destroy(),
  };
}

/**
 * Kysely prepares every query anew; preparing is a good part of a simple
 * statement's cost in better-sqlite3. Statements are reusable (the driver is
 * synchronous, so none is in use twice at once), so keep the recent ones.
 * (Kysely's `.stream()` iterates a statement; Tessera never streams.)
 */
function withStatementCache(raw: SqliteDatabase.Database, onQuery?: OnQuery, max = 500) {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => raw.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (stmt) {
        // Refresh its place: the map's order is the eviction order.
        cache.delete(sqlText);
      } else {
        const prepared = raw.prepare(sqlText);
        stmt = onQuery ? timedStatement(prepared, onQuery) : prepared;
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sqlText, stmt);
      return stmt;
    },
  };
}

async function openPostgres(
  url: string,
  schema: string | undefined,
  onQuery: OnQuery | undefined,
): Promise<Db> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(
      'TESSERA_DATABASE_SCHEMA: must be a lower-case SQL identifier (example: tessera)',
    );
  }
  if (schema) {
    const setup = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => {});
  // Nor one checked out between two queries (a transaction awaiting other
  // work when the server goes): pg emits 'error' on the client, which the
  // pool only listens to while the client is idle. The next query on it
  // fails and is answered 503 like any outage.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (onQuery) timeQueries(client, onQuery);
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let current = schema;
  if (!current) {
    const r = await sql<{ s: string }>`select current_schema() as s`
      .execute(kysely)
      .catch(async (e) => {
        await kysely.destroy();
        throw e;
      });
    current = r.rows[0]?.s ?? 'public';
  }
  return {
    kysely,
    dialect: 'postgres',
    schema: current,
    ping: async () => {
      await sql`select 1`.execute(kysely);
    },
    close: () => kysely.destroy(),
  };
}

/** Times the queries of one pooled client (Kysely calls `client.query(sql, params)`, a promise). */
function timeQueries(client: pg.PoolClient, onQuery: OnQuery): void {
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
    const t0 = performance.now();
    const r = query(...a);
    if (r instanceof Promise)
      void r.then(
        () => onQuery((performance.now() - t0) / 1000, false),
        () => onQuery((performance.now() - t0) / 1000, true),
      );
    return r;
  };
}
