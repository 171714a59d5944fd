import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Runtime } from '../app/runtime.js';
import type { Config } from '../config/schema.js';
import { backupSqlite } from '../db/backup.js';
import { exportUsers } from '../user-transfer/export.js';
import {
  importUsers,
  type ImportSummary,
  type OnConflict,
  type Progress,
  type TransferDeps,
} from '../user-transfer/import.js';
import { formatOf } from '../user-transfer/read.js';
import { opt, type Parsed } from './args.js';

type Out = { log(s: string): void; err(s: string): void };
type WithRuntime = <T>(config: Config, fn: (rt: Runtime) => Promise<T>) => Promise<T>;

/** What the import and export use of a running node. */
const transferDeps = (rt: Runtime): TransferDeps => ({
  sql: rt.sql,
  tenants: rt.tenants,
  tenantCore: (t) => rt.tenantCore(t),
  hasher: rt.hasher,
  clock: rt.clock,
});

const n = (x: number) => x.toLocaleString('en-US');

/** The progress line on a terminal: rewritten in place, at most ten times a second. */
function progressLine(stream: NodeJS.WriteStream): ((p: Progress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.bytes < p.size) return;
    last = now;
    const pct = p.size ? Math.min(100, Math.floor((p.bytes / p.size) * 100)) : 100;
    const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
    stream.write(
      `\r[${bar}] ${String(pct).padStart(3)}%  ${n(p.rows)} rows: ${n(p.imported)} imported, ${n(p.updated)} updated, ${n(p.skipped)} skipped, ${n(p.failed)} failed `,
    );
  };
}

function printSummary(s: ImportSummary, out: Out, errorsPath: string | undefined): void {
  out.log(
    `${s.dryRun ? 'dry run, nothing written: would import' : 'imported'} ${n(s.imported)}, ${s.dryRun ? 'update' : 'updated'} ${n(s.updated)}, skipped ${n(s.skipped)}, failed ${n(s.failed)} (${n(s.rows)} rows in ${(s.ms / 1000).toFixed(1)} s)`,
  );
  if (s.ignored.length) out.log(`ignored columns: ${s.ignored.join(', ')}`);
  const shown = s.failures.slice(0, 20);
  for (const f of shown) out.log(`  row ${f.row} (line ${f.line}): ${f.error}`);
  if (s.failed > shown.length)
    out.log(
      `  … ${n(s.failed - shown.length)} more ${errorsPath ? `in ${errorsPath}` : '(--errors FILE writes every failed row)'}`,
    );
}

/** `tessera users import <file> …` and `tessera users export …`. */
export async function usersCmd(
  config: Config,
  p: Parsed,
  out: Out,
  withRuntime: WithRuntime,
): Promise<number> {
  const [, sub, file] = p.positionals;
  const onConflict = opt(p, 'on-conflict') ?? 'fail';
  if (
    (sub !== 'import' && sub !== 'export') ||
    (sub === 'import' && !file) ||
    !['skip', 'update', 'fail'].includes(onConflict)
  ) {
    out.err(
      'usage: tessera users import <file> [--format csv|json] [--tenant T] [--dry-run] [--on-conflict skip|update|fail] [--errors FILE] [--hash-plaintext] | tessera users export [--format csv|json] [--tenant T] [--out FILE]',
    );
    return 2;
  }
  if (sub === 'import') {
    const errorsPath = opt(p, 'errors');
    const progress = progressLine(process.stderr);
    const s = await withRuntime(config, (rt) =>
      importUsers(transferDeps(rt), {
        path: file!,
        format: opt(p, 'format'),
        tenant: opt(p, 'tenant'),
        dryRun: opt(p, 'dry-run') === 'true',
        onConflict: onConflict as OnConflict,
        hashPlaintext: opt(p, 'hash-plaintext') === 'true',
        errorsPath,
        ...(progress ? { onProgress: progress } : {}),
      }),
    );
    if (progress) process.stderr.write('\n');
    if (opt(p, 'json')) out.log(JSON.stringify(s));
    else printSummary(s, out, errorsPath);
    return s.failed ? 1 : 0;
  }
  const path = opt(p, 'out');
  const format = formatOf(path ?? '', opt(p, 'format'));
  const stream = path ? createWriteStream(path, { mode: 0o600 }) : process.stdout;
  const write = async (s: string) => {
    if (!stream.write(s)) await once(stream, 'drain');
  };
  const r = await withRuntime(config, (rt) =>
    exportUsers(transferDeps(rt), { tenant: opt(p, 'tenant'), format, write }),
  );
  if (path) {
    stream.end();
    await once(stream, 'finish');
  }
  out.err(
    `exported ${n(r.users)} users of ${r.tenants} tenant(s)${path ? ` to ${path}` : ''}; the export holds password hashes: keep it as a secret`,
  );
  return 0;
}

/** `tessera backup <file>`: the embedded database, copied while it serves. */
export function backupCmd(config: Config, p: Parsed, out: Out): number {
  const dest = p.positionals[1];
  if (!dest) {
    out.err('usage: tessera backup <file>');
    return 2;
  }
  if (config.databaseUrl) {
    out.err(
      'tessera backup copies the embedded SQLite database; with PostgreSQL use pg_dump (example: pg_dump --format=custom --file=tessera.dump "$TESSERA_DATABASE_URL")',
    );
    return 2;
  }
  const r = backupSqlite(join(config.dataDir, 'tessera.db'), dest);
  out.log(
    `backup written to ${dest}: ${(r.bytes / 1048576).toFixed(1)} MiB, ${n(r.users)} users, ${(r.ms / 1000).toFixed(1)} s; it holds password hashes and sealed secrets: keep it as a secret`,
  );
  return 0;
}
