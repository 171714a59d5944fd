import { createInterface } from 'node:readline';
import { FEATURES, loadAppConfig } from '../app/features.js';
import { declarationsOf } from '../app/lifecycle.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openDb } from '../db/kysely.js';
import { migrate } from '../db/migrate.js';
import { isTesseraError } from '../lib/errors.js';
import { createRuntime, type Runtime } from '../app/runtime.js';
import { resealAll } from '../infra/sealing.js';
import { opt, parseArgs, type Parsed } from './args.js';
import { backupCmd, usersCmd } from './transfer.js';

const HELP = `tessera — self-hosted JWT authentication server

Usage:
  tessera serve                      start the server (same as npm start)
  tessera migrate                    apply database migrations and exit
  tessera user add <username> [--email E] [--type T] [--role R]... [--display-name N] [--phone P]
                                     create a user; the password is read from
                                     TESSERA_NEW_PASSWORD or asked on the terminal
  tessera user passwd <username>     set a user's password (same sources); ends its sessions
  tessera users import <file> [--format csv|json] [--tenant T] [--dry-run]
        [--on-conflict skip|update|fail] [--errors FILE] [--hash-plaintext]
                                     import users from CSV or JSON (array or NDJSON) with
                                     their password hashes (bcrypt, argon2, PBKDF2, scrypt);
                                     plain-text passwords only with --hash-plaintext; a
                                     failed row is reported and the rest imported (exit 1
                                     if any failed); see docs/import-export.md
  tessera users export [--format csv|json] [--tenant T] [--out FILE]
                                     every user with roles, type, state and password hash
                                     (keep the file as a secret); import reads it back
  tessera backup <file>              copy the embedded SQLite database while it serves
                                     (PostgreSQL: use pg_dump)
  tessera keys rotate                new signing key; the old one verifies until its tokens expire
  tessera keys list                  signing keys and their state
  tessera keys reseal                seal every stored secret under TESSERA_MASTER_KEY (a key
                                     rotation: the old key in TESSERA_MASTER_KEY_PREVIOUS)
  tessera tenant add <id> [--name N] [--admin U]
                                     create a tenant; with --admin, its first admin
                                     (password from TESSERA_NEW_PASSWORD or the terminal)
  tessera tenant list                tenants and their state
  tessera tenant disable <id>        refuse the tenant's requests (404 TENANT_NOT_FOUND)
  tessera tenant enable <id>         accept them again

Configuration comes from TESSERA_* environment variables (see README.md).
Options: --help, --json (machine-readable output for 'keys list', 'tenant list', 'users import')`;

type Out = { log(s: string): void; err(s: string): void };
const stdio: Out = { log: (s) => console.log(s), err: (s) => console.error(s) };

async function readPassword(prompt: string): Promise<string> {
  const fromEnv = process.env.TESSERA_NEW_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    // Piped: first line of stdin.
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) return line;
    throw new Error('no password given: set TESSERA_NEW_PASSWORD or pipe it on stdin');
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const out = process.stdout as NodeJS.WriteStream & { write: (s: string) => boolean };
  return new Promise((resolve) => {
    out.write(prompt);
    // Do not echo the password.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      out.write('\n');
      resolve(answer);
    });
  });
}

async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  // One encrypted-login key pair, not a pool of 64: a command serves no login, and filling the
  // pool would take seconds of CPU from the command (an import of 100,000 users, say).
  const rt = await createRuntime(
    { ...config, logLevel: 'warn', rsaKeyPoolSize: 1 },
    { noHousekeeping: true },
  );
  try {
    return await fn(rt);
  } finally {
    await rt.audit.flush();
    await rt.close();
  }
}

async function userCmd(config: Config, p: Parsed, out: Out): Promise<number> {
  const [, sub, username] = p.positionals;
  if (!username || (sub !== 'add' && sub !== 'passwd')) {
    out.err('usage: tessera user add <username> [options] | tessera user passwd <username>');
    return 2;
  }
  const password = await readPassword(`password for ${username}: `);
  return withRuntime(config, async (rt) => {
    if (sub === 'add') {
      const roles = p.options.get('role');
      const u = await rt.users.create({
        username,
        password,
        email: opt(p, 'email'),
        userType: opt(p, 'type'),
        displayName: opt(p, 'display-name'),
        phoneNumber: opt(p, 'phone'),
        roles,
      });
      rt.audit.record({
        event: 'admin.user.create',
        outcome: 'success',
        userId: u.id,
        username: u.username,
        data: { via: 'cli', user_type: u.user_type },
      });
      out.log(
        `created user ${u.username} (id ${u.id}, type ${u.user_type}, roles ${(roles ?? ['user']).join(',')})`,
      );
      return 0;
    }
    const u = await rt.users.byLoginName(username);
    if (!u) {
      out.err(`no user ${username}`);
      return 1;
    }
    await rt.users.setPassword(u.id, password);
    const ended = await rt.sessions.endAll(u.id, 'PASSWORD_CHANGED');
    rt.audit.record({
      event: 'password.change',
      outcome: 'success',
      userId: u.id,
      data: { via: 'cli' },
    });
    out.log(`password of ${u.username} changed; ${ended} session(s) ended`);
    return 0;
  });
}

async function keysCmd(config: Config, p: Parsed, out: Out): Promise<number> {
  const sub = p.positionals[1];
  if (sub !== 'rotate' && sub !== 'list' && sub !== 'reseal') {
    out.err('usage: tessera keys rotate | tessera keys list | tessera keys reseal');
    return 2;
  }
  if (sub === 'reseal' && !config.masterKey && !config.masterKeyFile) {
    out.err(
      'tessera keys reseal: no master key to seal under: set TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE (example: TESSERA_MASTER_KEY=$(openssl rand -base64 32))',
    );
    return 2;
  }
  return withRuntime(config, async (rt) => {
    if (sub === 'reseal') {
      const r = await resealAll(rt.sql.all('a reseal covers every tenant'), rt.sealer);
      rt.audit.record({
        event: 'admin.keys.reseal',
        outcome: 'success',
        data: { master_key: rt.sealer.current, resealed: r.resealed, via: 'cli' },
      });
      if (opt(p, 'json')) out.log(JSON.stringify({ master_key: rt.sealer.current, ...r }));
      else
        out.log(
          `${r.resealed} stored secrets sealed under master key ${rt.sealer.current ?? '?'}; ${r.current} were already`,
        );
      return 0;
    }
    if (sub === 'rotate') {
      const kid = await rt.keyring.rotate();
      rt.audit.record({
        event: 'admin.keys.rotate',
        outcome: 'success',
        data: { kid, via: 'cli' },
      });
      out.log(`new signing key ${kid}; older keys verify until their last token expires`);
    }
    const active = rt.keyring.active().kid;
    const rows = rt.keyring.list().map((k) => ({
      kid: k.kid,
      alg: k.alg,
      active: k.kid === active,
      expires_at: k.expiresAt ? new Date(k.expiresAt).toISOString() : null,
    }));
    if (opt(p, 'json')) out.log(JSON.stringify(rows));
    else
      for (const r of rows)
        out.log(
          `${r.active ? '*' : ' '} ${r.kid}  ${r.alg}  ${r.active ? 'active' : `retired, verifies until ${r.expires_at}`}`,
        );
    return 0;
  });
}

async function tenantCmd(config: Config, p: Parsed, out: Out): Promise<number> {
  const [, sub, id] = p.positionals;
  if (!sub || !['add', 'list', 'disable', 'enable'].includes(sub) || (sub !== 'list' && !id)) {
    out.err(
      'usage: tessera tenant add <id> [--name N] [--admin U] | list | disable <id> | enable <id>',
    );
    return 2;
  }
  return withRuntime(config, async (rt) => {
    const svc = rt.features.tenantAdmin!;
    const actor = { actorId: null, ip: null, userAgent: 'tessera-cli' };
    if (sub === 'add') {
      const admin = opt(p, 'admin');
      const t = await svc.create(
        {
          id: id!,
          name: typeof opt(p, 'name') === 'string' ? (opt(p, 'name') as string) : id!,
          ...(typeof admin === 'string'
            ? { adminUsername: admin, adminPassword: await readPassword(`password for ${admin}: `) }
            : {}),
        },
        actor,
      );
      out.log(
        `created tenant ${t.id} (${t.name})${typeof admin === 'string' ? ` with admin ${admin}` : ''}`,
      );
      return 0;
    }
    if (sub === 'disable' || sub === 'enable') {
      const t = await svc.update(id!, { status: sub === 'disable' ? 'disabled' : 'active' }, actor);
      out.log(`tenant ${t.id} is ${t.status}`);
      return 0;
    }
    const rows = svc.list().map((t) => ({ id: t.id, name: t.name, status: t.status }));
    if (opt(p, 'json')) out.log(JSON.stringify(rows));
    else for (const r of rows) out.log(`${r.id}  ${r.status}  ${r.name}`);
    return 0;
  });
}

/** Runs one CLI command; returns the exit code. */
export async function main(argv: string[], out: Out = stdio): Promise<number> {
  let p: Parsed;
  try {
    p = parseArgs(argv, ['help', 'h', 'json', 'dry-run', 'hash-plaintext']);
  } catch (e) {
    out.err(`tessera: ${(e as Error).message}`);
    return 2;
  }
  const cmd = p.positionals[0];
  if (!cmd || opt(p, 'help') || opt(p, 'h') || cmd === 'help') {
    out.log(HELP);
    return cmd || opt(p, 'help') || opt(p, 'h') ? 0 : 2;
  }
  try {
    if (cmd === 'serve') {
      const { serve } = await import('../main.js');
      await serve();
      return 0;
    }
    const config = loadAppConfig();
    if (cmd === 'migrate') {
      const db = await openDb({
        databaseUrl: config.databaseUrl,
        schema: config.databaseSchema,
        dataDir: config.dataDir,
      });
      try {
        // The core's migrations and every feature's, in name order, as a start applies them.
        const applied = await migrate(db, declarationsOf(FEATURES).migrations);
        out.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    if (cmd === 'user') return await userCmd(config, p, out);
    if (cmd === 'users') return await usersCmd(config, p, out, withRuntime);
    if (cmd === 'backup') return backupCmd(config, p, out);
    if (cmd === 'keys') return await keysCmd(config, p, out);
    if (cmd === 'tenant') return await tenantCmd(config, p, out);
    out.err(`tessera: unknown command "${cmd}"\n\n${HELP}`);
    return 2;
  } catch (e) {
    if (e instanceof ConfigError) out.err(`tessera: configuration error: ${e.message}`);
    else if (isTesseraError(e))
      out.err(`tessera: ${e.code}${e.opts.detail ? `: ${e.opts.detail}` : ''}`);
    else out.err(`tessera: ${(e as Error).message}`);
    return 1;
  }
}
