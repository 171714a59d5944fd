import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from './types.js';

/**
 * The database server's current time in epoch milliseconds, as SQL. Pollers
 * order rows by this instead of by the writing node's clock, so clock skew
 * between nodes cannot hide a row from them (only commit delay remains).
 * clock_timestamp() is the wall time at the statement, not the transaction start.
 */
export function sqlNowMs(dialect: Dialect): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
}
