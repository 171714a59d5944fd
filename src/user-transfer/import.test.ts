import { hashRaw, hash as argonHash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantId } from '../db/scope.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { exportUsers } from './export.js';
import { importUsers } from './import.js';
import { depsOf, eventually, fileWith } from './transfer.test-support.js';

const b64 = (b: Buffer) => b.toString('base64');

/** A user for each hash format an import takes: [username, how it is stored, its password]. */
async function formats(): Promise<[string, unknown, string][]> {
  const bcrypt = await bcryptHash('bcrypt-pass-1', 4);
  const salt = Buffer.from('0123456789abcdef');
  const kcArgon = await hashRaw('keycloak-argon-1', {
    algorithm: 2,
    memoryCost: 7168,
    timeCost: 3,
    parallelism: 1,
    outputLen: 32,
    salt,
  });
  return [
    ['h-bcrypt-2a', bcrypt.replace('$2b$', '$2a$'), 'bcrypt-pass-1'],
    ['h-bcrypt-2b', bcrypt, 'bcrypt-pass-1'],
    ['h-bcrypt-2y', bcrypt.replace('$2b$', '$2y$'), 'bcrypt-pass-1'],
    [
      'h-argon2id',
      await argonHash('argon-pass-1', { algorithm: 2, memoryCost: 4096, timeCost: 1 }),
      'argon-pass-1',
    ],
    [
      'h-argon2i',
      await argonHash('argon-pass-1', { algorithm: 1, memoryCost: 4096, timeCost: 1 }),
      'argon-pass-1',
    ],
    [
      'h-argon2d',
      await argonHash('argon-pass-1', { algorithm: 0, memoryCost: 4096, timeCost: 1 }),
      'argon-pass-1',
    ],
    [
      'h-django',
      'pbkdf2_sha256$1000$seasalt$YIWkt6M1JFXrHg5s0jZjBSc7C2Cz6QvchSJ0h8Y+i7c=',
      'password',
    ],
    ['h-django-sha1', 'pbkdf2_sha1$1000$seasalt$C8KvRfPW529R7JpDHEDOP35Xr0g=', 'password'],
    [
      'h-passlib',
      '$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$1t8iyB2A.WF/Z5JZv.lfCIhXXN33N23OSgQYThBYRfk',
      'toomanysecrets',
    ],
    [
      'h-passlib-scrypt',
      '$scrypt$ln=8,r=8,p=1$WKs1xljLudd6z9kbY0wpJQ$yCR4iDZYDKv+iEJj6yHY0lv/epnfB6f/w1EbXrsJOuQ',
      'password',
    ],
    [
      'h-werkzeug-scrypt',
      'scrypt:32768:8:1$Ae7rY2nM0pQ8sV1x$2820744b59ca340041d57abfd35234ce9bbe31fed911e5f4e342b4e18461dbfe8ba4d427a6f09ecae7c30b53e7dda2b082a8f0f05ed1fbfb876f01aba2338960',
      'password',
    ],
    [
      'h-node-scrypt',
      'scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$ApdFWK8NumyY29Er9pEt++7OZiECvcqPQXeIayRc7Ck=',
      'password',
    ],
    // Keycloak, flat and as a realm export writes it (secretData and credentialData are JSON text).
    [
      'h-keycloak',
      {
        algorithm: 'pbkdf2-sha256',
        hashIterations: 27500,
        salt: 'AAECAwQFBgcICQoLDA0ODw==',
        value:
          'gYW3K2hDotixLdnZnDA7ggXjDdS/WGoafjk4eoTrPXh9tz2iRphHd0VHSNGwZQuZ/GYCD7d2UuOeI0igaSW+CQ==',
      },
      'password',
    ],
    [
      'h-keycloak-512',
      [
        {
          type: 'password',
          secretData: JSON.stringify({
            value:
              'm9b38GdrCTur3WagRVYOzxfUDCzDnXbEv/+oXsEk7B9Ko6sn7vYov384MZwAldw6Ef+AAbESvaVQ8yeSBGqjDQ==',
            salt: 'AAECAwQFBgcICQoLDA0ODw==',
          }),
          credentialData: JSON.stringify({ hashIterations: 27500, algorithm: 'pbkdf2-sha512' }),
        },
      ],
      'password',
    ],
    [
      'h-keycloak-argon2',
      [
        {
          type: 'password',
          secretData: JSON.stringify({ value: b64(kcArgon), salt: b64(salt) }),
          credentialData: JSON.stringify({
            hashIterations: 3,
            algorithm: 'argon2',
            additionalParameters: {
              hashLength: ['32'],
              memory: ['7168'],
              type: ['id'],
              version: ['1.3'],
              parallelism: ['1'],
            },
          }),
        },
      ],
      'keycloak-argon-1',
    ],
  ];
}

/** `tessera users import` and `export` on each dialect. @see issue 17 §4 */
describe.each(dialects())('users import and export on %s', (dialect) => {
  let s: TestServer;
  const hashOf = async (username: string) =>
    (
      await s.rt.db.kysely
        .selectFrom('users')
        .select('password_hash')
        .where('username_key', '=', username)
        .executeTakeFirstOrThrow()
    ).password_hash;
  const count = async () =>
    Number(
      (
        await s.rt.db.kysely
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    s = await createTestServer({ dialect, config: { loginAttemptsPerIpPerHour: 100_000 } });
  });
  afterAll(() => s.close());

  it('each hash format logs in over HTTP, then is stored as argon2id and still logs in', async () => {
    const users = await formats();
    const path = fileWith(
      'formats.json',
      JSON.stringify(
        users.map(([username, hash]) =>
          // A user as Keycloak's realm export writes one; its own roles are not Tessera's.
          username === 'h-keycloak-512'
            ? {
                username,
                enabled: false,
                firstName: 'Kay',
                lastName: 'Cloak',
                email: 'kay@example.com',
                emailVerified: true,
                createdTimestamp: 1700000000000,
                credentials: hash,
                realmRoles: ['default-roles-demo'],
              }
            : { username, password_hash: hash, roles: ['user'] },
        ),
      ),
    );
    const sum = await importUsers(depsOf(s.rt), { path });
    expect(sum.failures).toEqual([]);
    expect(sum.imported).toBe(users.length);
    expect(sum.ignored).toEqual(['realmRoles']);
    const kc = await s.rt.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('username_key', '=', 'h-keycloak-512')
      .executeTakeFirstOrThrow();
    expect(kc).toMatchObject({
      display_name: 'Kay Cloak',
      status: 'disabled',
      created_at: 1700000000000,
    });
    expect(kc.email_verified_at).toBeGreaterThan(1700000000000);
    // Enabled again, to log in below.
    await s.rt.db.kysely
      .updateTable('users')
      .set({ status: 'active' })
      .where('id', '=', kc.id)
      .execute();
    for (const [username, , password] of users) {
      // (A wrong password over HTTP would count towards the captcha: the hasher says no here.)
      expect(await s.rt.hasher.verify(await hashOf(username), `${password}-no`), username).toBe(
        false,
      );
      expect((await s.login(username, password)).access_token, username).toBeTruthy();
      const stored = await eventually(
        () => hashOf(username),
        (h) => h.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'),
      );
      expect(stored, username).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect((await s.login(username, password)).access_token, username).toBeTruthy();
    }
  });

  it('reports each bad row with its number and reason, imports the rest, writes the failed rows to --errors', async () => {
    await s.rt.tenants.create('acme' as TenantId, 'Acme');
    const ok = await bcryptHash('row-pass-1', 4);
    const csv = [
      'username,email,phone,display_name,user_type,roles,tenant,password_hash,disabled',
      `r-ok1,r-ok1@example.com,+86 138 0000 0000,"Ok, One",kefu,user|admin,,${ok},false`,
      `r-badhash,,,,,,,$1$md5crypt$notours,`,
      `r-ok1,,,,,,,${ok},`,
      `r-badrole,,,,,user;wizard,,${ok},`,
      `r-badtenant,,,,,,nowhere,${ok},`,
      `r-bademail,not-an-address,,,,,,${ok},`,
      `r-short,,,`,
      `"r-multi",r-multi@example.com,,"two
lines",,,acme,${ok},true`,
      `h-django,,,,,,,${ok},`,
      `r-ok2,,,,,,,${ok},`,
    ].join('\n');
    const errorsPath = `${fileWith('x', '')}.errors.csv`;
    const before = await count();
    const sum = await importUsers(depsOf(s.rt), { path: fileWith('rows.csv', csv), errorsPath });
    expect(sum.failures).toEqual([
      { row: 2, line: 3, error: expect.stringMatching(/unknown hash format/) },
      { row: 3, line: 4, error: 'r-ok1 is also in row 1 of this file' },
      { row: 4, line: 5, error: 'unknown role wizard' },
      { row: 5, line: 6, error: 'unknown tenant nowhere' },
      { row: 6, line: 7, error: 'email is not a valid address' },
      { row: 7, line: 8, error: '4 cells where the header has 9' },
      { row: 9, line: 11, error: expect.stringMatching(/^USER_EXISTS: user h-django exists/) },
    ]);
    expect(sum).toMatchObject({ rows: 10, imported: 3, failed: 7, skipped: 0 });
    expect(await count()).toBe(before + 3);
    const u = await s.rt.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('username_key', '=', 'r-ok1')
      .executeTakeFirstOrThrow();
    expect(u).toMatchObject({
      email: 'r-ok1@example.com',
      phone_number: '+86 138 0000 0000',
      display_name: 'Ok, One',
      user_type: 'kefu',
      status: 'active',
    });
    expect(await s.rt.users.roles(u.id)).toEqual(['admin', 'user']);
    const acme = await s.rt.tenantCore('acme' as TenantId);
    const multi = await acme.users.byLoginName('r-multi');
    expect(multi).toMatchObject({ display_name: 'two\nlines', status: 'disabled' });
    expect(await s.rt.users.byLoginName('r-multi')).toBeUndefined();
    expect((await s.login('r-ok2', 'row-pass-1')).access_token).toBeTruthy();
    // The failed rows, as read, with their row and reason: fix them and import that file again.
    const errs = readFileSync(errorsPath, 'utf8').trim().split('\n');
    expect(errs[0]).toBe(
      'username,email,phone,display_name,user_type,roles,tenant,password_hash,disabled,row,error',
    );
    expect(errs.slice(1).map((l) => l.split(',')[0])).toEqual([
      'r-badhash',
      'r-ok1',
      'r-badrole',
      'r-badtenant',
      'r-bademail',
      'r-short',
      'h-django',
    ]);
    expect(errs[4]).toMatch(/,5,unknown tenant nowhere$/);
  });

  it('refuses plain-text passwords unless told to hash them', async () => {
    const csv = 'username,password\np-plain,plain-pass-1\n';
    await expect(importUsers(depsOf(s.rt), { path: fileWith('p.csv', csv) })).rejects.toThrow(
      /plain-text password column/,
    );
    const json = fileWith('p.ndjson', '{"username":"p-plain","password":"plain-pass-1"}\n[1]\n');
    const errorsPath = `${json}.errors`;
    const refused = await importUsers(depsOf(s.rt), { path: json, errorsPath });
    expect(refused.failures).toEqual([
      { row: 1, line: 1, error: expect.stringMatching(/plain-text password is refused/) },
      { row: 2, line: 2, error: 'not a JSON object' },
    ]);
    expect(
      readFileSync(errorsPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      {
        username: 'p-plain',
        password: 'plain-pass-1',
        _row: 1,
        _error: expect.stringMatching(/refused/),
      },
      { _record: [1], _row: 2, _error: 'not a JSON object' },
    ]);
    const sum = await importUsers(depsOf(s.rt), {
      path: fileWith('p.csv', csv),
      hashPlaintext: true,
    });
    expect(sum.imported).toBe(1);
    expect(await hashOf('p-plain')).toMatch(/^\$argon2id\$/);
    expect((await s.login('p-plain', 'plain-pass-1')).access_token).toBeTruthy();
  });

  it('a dry run checks everything, the database included, and writes nothing', async () => {
    const ok = await bcryptHash('dry-pass-1', 4);
    const csv = `username,roles,password_hash\nd-new1,,${ok}\nd-new2,user,${ok}\nr-ok2,,${ok}\nd-bad,nope,${ok}\n`;
    const path = fileWith('dry.csv', csv);
    const before = await count();
    await s.rt.audit.flush();
    const audits = await s.rt.db.kysely.selectFrom('audit_events').select('id').execute();
    const dry = await importUsers(depsOf(s.rt), { path, dryRun: true, onConflict: 'skip' });
    expect(dry).toMatchObject({ dryRun: true, imported: 2, skipped: 1, failed: 1 });
    expect(await count()).toBe(before);
    await s.rt.audit.flush();
    expect(await s.rt.db.kysely.selectFrom('audit_events').select('id').execute()).toHaveLength(
      audits.length,
    );
    const real = await importUsers(depsOf(s.rt), { path, onConflict: 'skip' });
    expect({ ...real, ms: 0, dryRun: true }).toEqual({ ...dry, ms: 0 });
    expect(await count()).toBe(before + 2);
  });

  it('--on-conflict update changes what the row gives and ends the sessions a disabling ends', async () => {
    const hash = await bcryptHash('upd-pass-1', 4);
    await importUsers(depsOf(s.rt), {
      path: fileWith(
        'u.csv',
        `username,email,password_hash\nu-one,u1@example.com,${hash}\nu-two,u2@example.com,${hash}\n`,
      ),
    });
    const t = await s.login('u-one', 'upd-pass-1');
    expect((await s.call('GET', '/api/public/auth/me', { token: t.access_token })).statusCode).toBe(
      200,
    );
    const update = `username,email,display_name,roles,disabled\nu-one,,Updated,user|admin,true\nu-two,u1@example.com,,,\n`;
    const sum = await importUsers(depsOf(s.rt), {
      path: fileWith('u2.csv', update),
      onConflict: 'update',
    });
    expect(sum.updated).toBe(1);
    expect(sum.failures).toEqual([
      { row: 2, line: 3, error: 'USER_EXISTS: the e-mail belongs to another user' },
    ]);
    const named = fileWith('u3.csv', 'username,display_name\nu1@example.com,X\n');
    expect(
      (await importUsers(depsOf(s.rt), { path: named, onConflict: 'update' })).failures,
    ).toEqual([{ row: 1, line: 2, error: "USER_EXISTS: the username is another user's e-mail" }]);
    const one = (await s.rt.users.byLoginName('u-one'))!;
    expect(one).toMatchObject({
      display_name: 'Updated',
      status: 'disabled',
      email: 'u1@example.com',
    });
    expect(await s.rt.users.roles(one.id)).toEqual(['admin', 'user']);
    expect((await s.call('GET', '/api/public/auth/me', { token: t.access_token })).statusCode).toBe(
      401,
    );
  });

  it('export then import into another tenant gives the same users back, hashes included', async () => {
    const text = async (format: 'csv' | 'json', tenant: string) => {
      let out = '';
      await exportUsers(depsOf(s.rt), { tenant, format, write: async (x) => void (out += x) });
      return out;
    };
    for (const format of ['csv', 'json'] as const) {
      const id = `copy-${format}`;
      await s.rt.tenants.create(id as TenantId, id);
      const first = await text(format, 'default');
      const sum = await importUsers(depsOf(s.rt), {
        path: fileWith(`e.${format}`, first),
        tenant: id,
        format,
      });
      expect(sum.failures).toEqual([]);
      expect(sum.imported).toBeGreaterThan(20);
      const again = await text(format, id);
      expect(again.replaceAll(`"${id}"`, '"default"').replaceAll(`,${id},`, ',default,')).toBe(
        first,
      );
    }
    const exported = JSON.parse(await text('json', 'default')) as Record<string, unknown>[];
    expect(exported.find((u) => u.username === 'r-ok1')).toMatchObject({
      roles: ['admin', 'user'],
      user_type: 'kefu',
      disabled: false,
      password_hash: expect.stringMatching(/^\$2b\$04\$/),
    });
    // The tenant's users log in with their old passwords.
    const r = await s.call('POST', '/api/public/auth/login', {
      headers: { 'x-tessera-tenant': 'copy-csv' },
      body: { username: 'r-ok2', password: 'row-pass-1' },
    });
    expect(r.statusCode).toBe(200);
  });
});

/** A batch the database refuses is written again row by row: only the refused row fails. */
describe('users import when the database refuses a row of a batch', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer();
  });
  afterAll(() => s.close());

  it('imports the others of the batch and reports the refused one with its row', async () => {
    // As if a user "boom" had registered between the batch's look-up and its insert.
    await sql`create trigger refuse_boom before insert on users when new.username_key = 'boom'
      begin select raise(abort, 'UNIQUE constraint failed: users.tenant_id, users.username_key'); end`.execute(
      s.rt.db.kysely,
    );
    const h = await bcryptHash('batch-pass-1', 4);
    const csv = `username,password_hash\nb-one,${h}\nboom,${h}\nb-two,${h}\n`;
    const sum = await importUsers(depsOf(s.rt), { path: fileWith('b.csv', csv) });
    expect(sum).toMatchObject({ imported: 2, failed: 1 });
    expect(sum.failures).toEqual([
      {
        row: 2,
        line: 3,
        error: expect.stringMatching(/^refused by the database: UNIQUE constraint failed/),
      },
    ]);
    expect((await s.login('b-two', 'batch-pass-1')).access_token).toBeTruthy();
  });
});
