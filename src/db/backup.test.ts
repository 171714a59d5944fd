import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backupSqlite } from './backup.js';
import { openDb } from './kysely.js';
import { migrate } from './migrate.js';

/** Another process that inserts users until told to stop, then says how many it wrote. */
const WRITER = `
const Database = require(process.argv[2]);
const db = new Database(process.argv[3]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
const ins = db.prepare("insert into users (tenant_id, username, username_key, password_hash, user_type, status, created_at, updated_at, password_changed_at) values ('default', ?, ?, '!none', 'user', 'active', 0, 0, 0)");
let n = 0, stop = false;
process.on('message', () => { stop = true; });
const tick = () => {
  if (stop) { process.send({ n }); db.close(); return; }
  db.transaction(() => { for (let i = 0; i < 50; i++) { const u = 'w' + n++; ins.run(u, u); } })();
  if (n === 2000) process.send({ started: true });
  setImmediate(tick);
};
tick();
`;

/** `tessera backup`: a copy taken while another connection writes is whole and opens. @see issue 17 §4 */
describe('online backup of the embedded database', () => {
  it('copies a consistent snapshot while another process keeps writing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-backup-'));
    const file = join(dir, 'tessera.db');
    const db = await openDb({ sqlitePath: file });
    await migrate(db, {});
    await db.close();
    // Some bulk, so that the copy takes a while.
    const raw = new SqliteDatabase(file);
    raw.exec('create table filler (b blob)');
    const put = raw.prepare('insert into filler values (randomblob(4096))');
    raw.transaction(() => {
      for (let i = 0; i < 5000; i++) put.run();
    })();
    raw.close();

    const script = join(dir, 'writer.cjs');
    writeFileSync(script, WRITER);
    const writer = fork(script, [createRequire(import.meta.url).resolve('better-sqlite3'), file]);
    const messages: { n?: number; started?: boolean }[] = [];
    writer.on('message', (m) => messages.push(m as never));
    for (let i = 0; i < 500 && !messages.some((m) => m.started); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(messages.some((m) => m.started)).toBe(true);

    const dest = join(dir, 'backup.db');
    const r = backupSqlite(file, dest);
    writer.send('stop');
    const end = await new Promise<number>((resolve) =>
      writer.on('message', (m: { n?: number }) => m.n !== undefined && resolve(m.n)),
    );
    expect(statSync(dest).mode & 0o777).toBe(0o600);
    const copy = new SqliteDatabase(dest, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const users = (copy.prepare('select count(*) as n from users').get() as { n: number }).n;
      // A snapshot between the first 2,000 rows and the writer's last; whole transactions only.
      expect(users).toBe(r.users);
      expect(users).toBeGreaterThanOrEqual(2000);
      expect(users % 50).toBe(0);
      expect(users).toBeLessThan(end);
      expect((copy.prepare('select count(*) as n from filler').get() as { n: number }).n).toBe(
        5000,
      );
    } finally {
      copy.close();
    }
  });
});
