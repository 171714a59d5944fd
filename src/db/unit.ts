import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types.js';

/**
 * One transaction and what must happen only once it has committed (apply a
 * revocation in memory, publish it, tell observers). A state change, its
 * revocation and its audit rows share one Unit: a process killed at any
 * point leaves all of them or none (issue 20, finding 1).
 */
export interface Unit {
  tx: Transaction<Database>;
  /** Runs after the commit, in order; never when the transaction rolls back. */
  afterCommit(fn: () => void | Promise<void>): void;
}

/**
 * Runs `fn` in a new transaction, or inside `outer` when one is given (the
 * caller's transaction then commits everything, and runs the after-commit
 * effects). After-commit effects that throw are reported, never rethrown: the
 * change is durable and the request has succeeded.
 */
export async function inUnit<T>(
  db: Kysely<Database>,
  fn: (u: Unit) => Promise<T>,
  outer?: Unit,
  onEffectError?: (e: unknown) => void,
): Promise<T> {
  if (outer) return fn(outer);
  const effects: (() => void | Promise<void>)[] = [];
  const result = await db
    .transaction()
    .execute((tx) => fn({ tx, afterCommit: (e) => effects.push(e) }));
  for (const e of effects) {
    try {
      await e();
    } catch (err) {
      onEffectError?.(err);
    }
  }
  return result;
}
