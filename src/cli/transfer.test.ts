import { hash as bcryptHash } from '@node-rs/bcrypt';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capture } from '../test-support/cli.js';
import { main } from './main.js';

/** `tessera users import | users export | backup` on the embedded database. @see issue 17 §4 */
describe('tessera users import, users export, backup', () => {
  const saved = { ...process.env };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-transfer-cli-'));
    process.env.TESSERA_DATA_DIR = join(dir, 'data');
    process.env.TESSERA_LOG_LEVEL = 'silent';
    delete process.env.TESSERA_DATABASE_URL;
    delete process.env.TESSERA_REDIS_URL;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('imports with a summary and an errors file, exports, imports the export elsewhere, backs up', async () => {
    const h = await bcryptHash('cli-import-pass', 4);
    const file = join(dir, 'users.csv');
    writeFileSync(
      file,
      `username,email,roles,password_hash,nickname_color\nc-one,c1@example.com,user|admin,${h},red\nc-two,bad-mail,,${h},\nc-three,,,${h},\n`,
    );
    const dry = capture();
    expect(await main(['users', 'import', file, '--dry-run'], dry.io)).toBe(1);
    expect(dry.out[0]).toMatch(
      /^dry run, nothing written: would import 2, update 0, skipped 0, failed 1 \(3 rows/,
    );
    expect(dry.out).toContain('ignored columns: nickname_color');
    expect(dry.out).toContain('  row 2 (line 3): email is not a valid address');

    const errors = join(dir, 'failed.csv');
    const run = capture();
    expect(await main(['users', 'import', file, '--errors', errors, '--json'], run.io)).toBe(1);
    expect(JSON.parse(run.out[0]!)).toMatchObject({
      imported: 2,
      failed: 1,
      failures: [{ row: 2, line: 3 }],
    });
    expect(readFileSync(errors, 'utf8')).toMatch(
      /^username,email,roles,password_hash,nickname_color,row,error\nc-two,bad-mail,/,
    );
    expect(statSync(errors).mode & 0o777).toBe(0o600);
    const again = capture();
    expect(await main(['users', 'import', file, '--on-conflict', 'skip'], again.io)).toBe(1);
    expect(again.out[0]).toMatch(/^imported 0, updated 0, skipped 2, failed 1/);

    const out = join(dir, 'export.json');
    const ex = capture();
    expect(await main(['users', 'export', '--out', out], ex.io)).toBe(0);
    expect(ex.err[0]).toMatch(
      /^exported 2 users of 1 tenant\(s\) to .*export\.json; the export holds password hashes/,
    );
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const users = JSON.parse(readFileSync(out, 'utf8')) as { username: string; roles: string[] }[];
    expect(users.map((u) => u.username).sort()).toEqual(['c-one', 'c-three']);

    const backup = join(dir, 'backup.db');
    const b = capture();
    expect(await main(['backup', backup], b.io)).toBe(0);
    expect(b.out[0]).toMatch(/^backup written to .*backup\.db: .* MiB, 2 users/);

    // Another deployment: the export goes in whole, roles and hashes included.
    process.env.TESSERA_DATA_DIR = join(dir, 'other');
    const into = capture();
    expect(await main(['users', 'import', out, '--on-conflict', 'skip'], into.io)).toBe(0);
    expect(into.out[0]).toMatch(/^imported 2, updated 0, skipped 0, failed 0/);
  });

  it('refuses a plain-text password column, unknown options and PostgreSQL backups, each with a reason', async () => {
    const file = join(dir, 'plain.csv');
    writeFileSync(file, 'username,password\np-one,some-password-1\n');
    const plain = capture();
    expect(await main(['users', 'import', file], plain.io)).toBe(1);
    expect(plain.err[0]).toMatch(
      /plain-text password column: give password_hash instead, or run with --hash-plaintext/,
    );
    expect(await main(['users', 'import', file, '--hash-plaintext'], capture().io)).toBe(0);
    const usage = capture();
    expect(await main(['users', 'import'], usage.io)).toBe(2);
    expect(usage.err[0]).toMatch(/^usage: tessera users import <file>/);
    expect(await main(['users', 'import', file, '--on-conflict', 'merge'], capture().io)).toBe(2);
    expect(await main(['users', 'import', file, '--format', 'xml'], capture().io)).toBe(1);
    expect(await main(['backup'], capture().io)).toBe(2);
    process.env.TESSERA_DATABASE_URL = 'postgres://tessera@db.invalid/tessera';
    const pg = capture();
    expect(await main(['backup', join(dir, 'x.db')], pg.io)).toBe(2);
    expect(pg.err[0]).toMatch(/with PostgreSQL use pg_dump/);
  });
});
