import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';

export interface BackupReport {
  bytes: number;
  users: number;
  ms: number;
}

/**
 * An online backup of the embedded SQLite database: `VACUUM INTO` a file
 * next to `dest`, then renamed over it. VACUUM INTO reads one snapshot in a
 * single read transaction, so the copy is consistent while the server keeps
 * writing (WAL: readers never block the writer, nor the writer them), and,
 * unlike the page-by-page backup API, it never starts over when a write
 * lands meanwhile. The copy is checked (quick_check) before it replaces
 * `dest`, and is readable by its owner only: it holds password hashes and
 * sealed secrets. Decision 0023.
 */
export function backupSqlite(source: string, dest: string): BackupReport {
  const started = Date.now();
  if (!existsSync(source)) throw new Error(`no database at ${source} (TESSERA_DATA_DIR)`);
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  const db = new SqliteDatabase(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(tmp);
  } finally {
    db.close();
  }
  try {
    chmodSync(tmp, 0o600);
    const copy = new SqliteDatabase(tmp, { readonly: true, fileMustExist: true });
    let users: number;
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy fails its check: ${String(check)}`);
      users = (copy.prepare('select count(*) as n from users').get() as { n: number }).n;
    } finally {
      copy.close();
    }
    renameSync(tmp, dest);
    return { bytes: statSync(dest).size, users, ms: Date.now() - started };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
