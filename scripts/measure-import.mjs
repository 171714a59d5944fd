#!/usr/bin/env node
// `tessera users import` of 100,000 bcrypt users, timed as an operator runs it.
//
//   npm run build && node scripts/measure-import.mjs [count=100000]
//
// Writes a CSV of `count` users (username, e-mail, type, roles, a bcrypt hash:
// four real hashes reused, since the import never looks inside one), then runs
// the CLI (bin/tessera.js) on a fresh SQLite data directory and on a fresh
// PostgreSQL schema (TESSERA_TEST_DATABASE_URL, default 127.0.0.1): migrate,
// a dry run, the import, an export of them all, and (SQLite) a backup. Prints
// the wall and CPU time of each step; drops the schema afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from '@node-rs/bcrypt';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin', 'tessera.js');
const COUNT = Number(process.argv[2] ?? 100_000);
const PG = process.env.TESSERA_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `t_import_${process.pid}_${Date.now().toString(36)}`;

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-measure-import-'));
const file = join(dir, 'users.csv');
const hashes = ['p0', 'p1', 'p2', 'p3'].map((p) => bcrypt.hashSync(`bulk-${p}`, 10));
let csv = 'username,email,user_type,roles,password_hash\n';
for (let i = 0; i < COUNT; i++)
  csv += `bulk${i},bulk${i}@example.com,${i % 10 ? 'user' : 'kefu'},user,${hashes[i % 4]}\n`;
writeFileSync(file, csv);

/** Runs one CLI step; prints its wall time and CPU time (user + system, the machine may be shared). */
function step(env, label, args) {
  // bash's `time` reports the child's CPU time, which other jobs on the machine do not inflate.
  const r = spawnSync(
    'bash',
    ['-c', 'TIMEFORMAT="%R %U %S"; time "$@"', 'time', process.execPath, BIN, ...args],
    {
      env: { ...process.env, TESSERA_LOG_LEVEL: 'warn', ...env },
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
  const [wall, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  const first = r.stdout.trim().split('\n')[0] ?? '';
  console.log(
    `  ${label.padEnd(8)} wall ${wall.toFixed(1).padStart(5)} s  cpu ${(user + sys).toFixed(1).padStart(5)} s  ${first}`,
  );
}

function run(name, env) {
  console.log(`${name}: ${COUNT.toLocaleString('en-US')} users`);
  step(env, 'migrate', ['migrate']);
  step(env, 'dry run', ['users', 'import', file, '--dry-run']);
  step(env, 'import', ['users', 'import', file]);
  step(env, 'export', ['users', 'export', '--out', join(dir, `${name}.csv`)]);
  if (name === 'sqlite') step(env, 'backup', ['backup', join(dir, 'backup.db')]);
}

try {
  run('sqlite', { TESSERA_DATA_DIR: join(dir, 'data'), TESSERA_DATABASE_URL: '' });
  run('postgres', {
    TESSERA_DATABASE_URL: PG,
    TESSERA_DATABASE_SCHEMA: schema,
    TESSERA_DATA_DIR: dir,
  });
} finally {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
  rmSync(dir, { recursive: true, force: true });
}
