import { hash as bcryptHash } from '@node-rs/bcrypt';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { importUsers } from './import.js';
import { depsOf, fileWith } from './transfer.test-support.js';

const USERS = 100_000;
/** A few real bcrypt hashes reused across rows: the import never looks inside a hash. */
const PASSWORDS = ['bulk-pass-0', 'bulk-pass-1', 'bulk-pass-2', 'bulk-pass-3'];

/** Writes the import file: USERS rows of username, e-mail, type, roles, bcrypt hash. */
async function bulkFile(): Promise<string> {
  const hashes = await Promise.all(PASSWORDS.map((p, i) => bcryptHash(p, 4 + i * 2)));
  const path = fileWith('bulk.csv', '');
  const out = createWriteStream(path);
  out.write('username,email,user_type,roles,password_hash\n');
  for (let i = 0; i < USERS; i += 1000) {
    let chunk = '';
    for (let j = i; j < i + 1000; j++)
      chunk += `bulk${j},bulk${j}@example.com,${j % 10 ? 'user' : 'kefu'},user,${hashes[j % 4]}\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/**
 * The Done-when of issue 17 §4: 100,000 users with bcrypt hashes imported,
 * then a sample of them logs in over HTTP with their passwords (and is moved
 * to argon2id). On SQLite always, on PostgreSQL when it runs (CI=true).
 * @see issue 17 §4
 */
describe.each(dialects())('importing 100,000 bcrypt users on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ dialect, config: { loginAttemptsPerIpPerHour: 100_000 } });
  });
  afterAll(() => s.close());

  it(
    'imports them all in batches, and a sample logs in over HTTP',
    { timeout: 120_000 },
    async () => {
      const path = await bulkFile();
      const started = Date.now();
      const sum = await importUsers(depsOf(s.rt), { path });
      const ms = Date.now() - started;
      console.log(
        `[import-100k] ${dialect}: ${USERS} users imported in ${(ms / 1000).toFixed(1)} s (${Math.round(USERS / (ms / 1000))} rows/s)`,
      );
      expect(sum).toMatchObject({ rows: USERS, imported: USERS, failed: 0, skipped: 0 });
      const n = await s.rt.db.kysely
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('username_key', 'like', 'bulk%')
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(USERS);
      // 20 users spread over the file, each with its own password.
      for (let k = 0; k < 20; k++) {
        const i = (k * 4_999 + 7) % USERS;
        const t = await s.login(`bulk${i}`, PASSWORDS[i % 4]);
        expect(t.access_token).toBeTruthy();
        const me = await s.call('GET', '/api/public/auth/me', { token: t.access_token });
        expect(me.data.data).toMatchObject({ username: `bulk${i}` });
      }
      const kefu = (await s.rt.users.byLoginName('bulk20'))!;
      expect(kefu.user_type).toBe('kefu');
      expect(await s.rt.users.roles(kefu.id)).toEqual(['user']);
    },
  );
});
