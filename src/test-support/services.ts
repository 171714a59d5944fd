/**
 * Which real servers the test run may use.
 *
 * - TESSERA_TEST_DATABASE_URL: a PostgreSQL URL (any database; each test file
 *   creates its own schema and drops it afterwards).
 * - TESSERA_TEST_REDIS_URL: a Redis URL (each test file uses its own key prefix
 *   and deletes its keys afterwards).
 *
 * Under CI=true both default to this project's machines (127.0.0.1) and the
 * suites must run: an unreachable server fails them instead of skipping.
 * Elsewhere, an unset variable skips those suites with one line saying so.
 */
const ci = process.env.CI === 'true' || process.env.CI === '1';

export const pgUrl: string | undefined =
  process.env.TESSERA_TEST_DATABASE_URL ||
  (ci ? 'postgres://postgres@127.0.0.1:5432/postgres' : undefined);
export const redisUrl: string | undefined =
  process.env.TESSERA_TEST_REDIS_URL || (ci ? 'redis://127.0.0.1:6379' : undefined);

const told = new Set<string>();
function tell(what: string, env: string, example: string): void {
  if (told.has(what)) return;
  told.add(what);
  console.warn(`[tessera tests] ${what} suites skipped: set ${env}=${example} to run them`);
}

/** True when PostgreSQL suites run; otherwise prints the one-line hint once. */
export function havePostgres(): boolean {
  if (!pgUrl)
    tell('PostgreSQL', 'TESSERA_TEST_DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/postgres');
  return pgUrl !== undefined;
}

export function haveRedis(): boolean {
  if (!redisUrl) tell('Redis', 'TESSERA_TEST_REDIS_URL', 'redis://127.0.0.1:6379');
  return redisUrl !== undefined;
}

/** A fresh name for a schema or key prefix, unique to this run and file. */
export function uniqueName(tag: string): string {
  return `t_${tag}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
