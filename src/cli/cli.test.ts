import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb } from '../db/kysely.js';
import { createPasswordHasher } from '../passwords/hasher.js';
import { capture } from '../test-support/cli.js';
import { main } from './main.js';

/** `tessera migrate | user add | user passwd | keys rotate | keys list`. @see issue 2 §9 */
describe('tessera CLI', () => {
  const saved = { ...process.env };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    process.env.TESSERA_DATA_DIR = dir;
    process.env.TESSERA_LOG_LEVEL = 'silent';
    delete process.env.TESSERA_DATABASE_URL;
    delete process.env.TESSERA_REDIS_URL;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('--help lists the commands', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const cmd of ['serve', 'migrate', 'user add', 'user passwd', 'keys rotate', 'keys list'])
      expect(c.out.join('\n')).toContain(cmd);
  });

  it('migrate, then user add with type, role and display name; a duplicate fails', async () => {
    const c = capture();
    expect(await main(['migrate'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/applied: 0001_init/);
    // The features' migrations too: a start after it finds nothing out of order.
    expect(c.out.join('')).toMatch(/0007_mail.*0012_oauth/);
    process.env.TESSERA_NEW_PASSWORD = 'kefu-password-123';
    expect(
      await main(
        [
          'user',
          'add',
          'kefu9',
          '--type',
          'kefu',
          '--role',
          'user',
          '--role',
          'admin',
          '--display-name',
          '客服9',
          '--email',
          'k9@example.com',
        ],
        c.io,
      ),
    ).toBe(0);
    const db = await openDb({ dataDir: dir });
    try {
      const u = await db.kysely
        .selectFrom('users')
        .selectAll()
        .where('username_key', '=', 'kefu9')
        .executeTakeFirstOrThrow();
      expect(u).toMatchObject({
        user_type: 'kefu',
        display_name: '客服9',
        email: 'k9@example.com',
      });
      const roles = await db.kysely
        .selectFrom('user_roles')
        .select('role')
        .where('user_id', '=', u.id)
        .orderBy('role')
        .execute();
      expect(roles.map((r) => r.role)).toEqual(['admin', 'user']);
      expect(await createPasswordHasher().verify(u.password_hash, 'kefu-password-123')).toBe(true);
    } finally {
      await db.close();
    }
    const dup = capture();
    expect(await main(['user', 'add', 'KEFU9'], dup.io)).toBe(1);
    expect(dup.err.join('')).toContain('USER_EXISTS');
  });

  it('user passwd changes the password; a weak one is refused', async () => {
    process.env.TESSERA_NEW_PASSWORD = 'first-password-1';
    expect(await main(['user', 'add', 'pw-user'], capture().io)).toBe(0);
    process.env.TESSERA_NEW_PASSWORD = 'second-password-2';
    const c = capture();
    expect(await main(['user', 'passwd', 'pw-user'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/password of pw-user changed/);
    process.env.TESSERA_NEW_PASSWORD = 'password';
    const weak = capture();
    expect(await main(['user', 'passwd', 'pw-user'], weak.io)).toBe(1);
    expect(weak.err.join('')).toMatch(/PASSWORD_WEAK/);
    expect(await main(['user', 'passwd', 'nobody-at-all'], capture().io)).toBe(1);
  });

  it('keys list and keys rotate', async () => {
    const c = capture();
    expect(await main(['keys', 'list', '--json'], c.io)).toBe(0);
    const before = JSON.parse(c.out.at(-1)!);
    expect(before).toHaveLength(1);
    const r = capture();
    expect(await main(['keys', 'rotate', '--json'], r.io)).toBe(0);
    const after = JSON.parse(r.out.at(-1)!);
    expect(after).toHaveLength(2);
    expect(after.filter((k: { active: boolean }) => k.active)[0].kid).not.toBe(before[0].kid);
  });

  it('unknown command: exit 2; bad configuration: exit 1 with one line', async () => {
    expect(await main(['frobnicate'], capture().io)).toBe(2);
    process.env.TESSERA_PORT = 'nope';
    const c = capture();
    expect(await main(['migrate'], c.io)).toBe(1);
    expect(c.err).toEqual([
      'tessera: configuration error: TESSERA_PORT: "nope" is not a whole number (example: TESSERA_PORT=8080)',
    ]);
  });

  it('is the package bin, runnable as npx tessera', () => {
    const bin = fileURLToPath(new URL('../../bin/tessera.js', import.meta.url));
    if (!existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))))
      execFileSync('npm', ['run', 'build'], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(out).toContain('tessera keys rotate');
  });
});
