import {
  CompiledQuery,
  type Compilable,
  type Kysely,
  type QueryResult,
  type Transaction,
} from 'kysely';
import { isScopeTenant } from './scope.js';
import type { Database } from './types.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * A query that Kysely builds and compiles once; each run only binds new
 * values. Kysely rebuilds and recompiles every query it executes, and on the
 * login and refresh paths that costs several times what SQLite needs to run
 * the statement. The builder is called once with placeholder objects; their
 * positions in the compiled parameters say where each argument goes.
 *
 * @example
 * const byHash = prepared((hash: string) => db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash));
 * const rows = await byHash.rows(tx, 'abc');
 */
export function prepared<A extends unknown[], R>(build: (...args: A) => Compilable<R>) {
  let compiled: { sql: string; slots: (number | { tenant: unknown })[] } | undefined;
  const compile = (arity: number) => {
    const marks = Array.from({ length: arity }, (_, i) => ({ slot: i }));
    const c = build(...(marks as unknown as A)).compile();
    // A slot is an argument's index, or the tenant a scope wrote in (db/scope.ts).
    const slots = c.parameters.map((p): number | { tenant: unknown } => {
      const i = marks.indexOf(p as { slot: number });
      if (i >= 0) return i;
      if (isScopeTenant(p)) return { tenant: p };
      throw new Error(`prepared query has a constant parameter: ${c.sql}`);
    });
    return { sql: c.sql, slots };
  };
  const run = (q: Q, args: A): Promise<QueryResult<R>> => {
    compiled ??= compile(args.length);
    const params = compiled.slots.map((i) => (typeof i === 'number' ? args[i] : i.tenant));
    return q.executeQuery(CompiledQuery.raw(compiled.sql, params) as CompiledQuery<R>);
  };
  return {
    rows: async (q: Q, ...args: A): Promise<R[]> => (await run(q, args)).rows,
    first: async (q: Q, ...args: A): Promise<R | undefined> => (await run(q, args)).rows[0],
    affected: async (q: Q, ...args: A): Promise<number> =>
      Number((await run(q, args)).numAffectedRows ?? 0n),
  };
}
