// Optional infrastructure for Tessera's multi-node mode: PostgreSQL schemas and Redis prefixes,
// created fresh per contender and removed on exit (synchronously, so it also runs on SIGINT).
import { execFileSync } from 'node:child_process';
import { onCleanup } from './procs.mjs';

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const run = (cmd, args, input) => execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000 }).toString();

/** Why multi-node cannot run here, or undefined when PostgreSQL and Redis both answer. */
export function multiNodeUnavailable() {
  try {
    run('psql', [PG_URL, '-tAc', 'select 1']);
  } catch (err) {
    return `PostgreSQL not reachable at ${PG_URL} via psql (${err.code ?? err.message.split('\n')[0]})`;
  }
  try {
    if (!run('redis-cli', ['-u', REDIS_URL, 'ping']).includes('PONG')) return 'Redis did not answer PING';
  } catch (err) {
    return `Redis not reachable at ${REDIS_URL} via redis-cli (${err.code ?? err.message.split('\n')[0]})`;
  }
  return undefined;
}

let seq = 0;
/** A fresh schema name and Redis prefix, both dropped on exit. */
export function freshNamespace() {
  const id = `${process.pid}_${Date.now().toString(36)}_${seq++}`;
  const schema = `bench_${id}`;
  const redisPrefix = `tessera-bench:${id}:`;
  onCleanup(() => {
    run('psql', [PG_URL, '-qc', `DROP SCHEMA IF EXISTS "${schema}" CASCADE`]);
    const keys = run('redis-cli', ['-u', REDIS_URL, '--scan', '--pattern', `${redisPrefix}*`]).split('\n').filter(Boolean);
    for (let i = 0; i < keys.length; i += 500) run('redis-cli', ['-u', REDIS_URL, 'del', ...keys.slice(i, i + 500)]);
  });
  return { schema, redisPrefix };
}
