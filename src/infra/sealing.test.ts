import { execFileSync } from 'node:child_process';
import { randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../app/features.js';
import { createServer, type Server } from '../app/server.js';
import { main } from '../cli/main.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createSealer, SealError } from '../lib/seal.js';
import { capture } from '../test-support/cli.js';
import { dropSchema } from '../test-support/db.js';
import { havePostgres, pgUrl, uniqueName } from '../test-support/services.js';

const newKey = () => randomBytes(32).toString('base64');
const PW = 'a-strong-passphrase';

describe('the sealer', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('seals with the first key, opens with any, binds the row, refuses what it cannot open', () => {
    const s1 = createSealer([k1]);
    const sealed = s1.seal('the secret', 'signing_keys:abc');
    expect(sealed).toMatch(/^tsl1:[A-Za-z0-9_-]{11}:/);
    expect(sealed).not.toContain('the secret');
    expect(s1.open(sealed, 'signing_keys:abc')).toBe('the secret');
    // Another row's additional data, a flipped byte, an unknown key: refused.
    expect(() => s1.open(sealed, 'signing_keys:abd')).toThrow(SealError);
    const parts = sealed.split(':');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0]! ^= 1;
    parts[3] = ct.toString('base64url');
    expect(() => s1.open(parts.join(':'), 'signing_keys:abc')).toThrow(SealError);
    expect(() => createSealer([k2]).open(sealed, 'signing_keys:abc')).toThrow(
      /master key .* which this node does not hold/,
    );
    // During a rotation: the new key seals, the old one still opens.
    const both = createSealer([k2, k1]);
    expect(both.open(sealed, 'signing_keys:abc')).toBe('the secret');
    expect(both.isCurrent(sealed)).toBe(false);
    expect(both.isCurrent(both.seal('x', 'a'))).toBe(true);
    // No key (development): stored in the clear, and clear values read as they are.
    expect(createSealer([]).seal('plain', 'a')).toBe('plain');
    expect(s1.open('{"kty":"RSA"}', 'a')).toBe('{"kty":"RSA"}');
  });

  it('production refuses to start without a master key, and bad keys anywhere', () => {
    const prod = { NODE_ENV: 'production', TESSERA_TRUST_PROXY: 'none' };
    expect(() => loadConfig(prod)).toThrow(/TESSERA_MASTER_KEY: required when NODE_ENV=production/);
    expect(loadConfig({ ...prod, TESSERA_MASTER_KEY: newKey() }).production).toBe(true);
    expect(loadConfig({ ...prod, TESSERA_MASTER_KEY_FILE: '/run/secrets/k' }).production).toBe(
      true,
    );
    expect(() => loadConfig({ TESSERA_MASTER_KEY: 'too-short' })).toThrow(ConfigError);
    expect(() =>
      loadConfig({ TESSERA_MASTER_KEY: newKey(), TESSERA_MASTER_KEY_PREVIOUS: 'nope' }),
    ).toThrow(/TESSERA_MASTER_KEY_PREVIOUS: must be 32 bytes/);
    expect(loadConfig({ TESSERA_MASTER_KEY: randomBytes(32).toString('hex') }).masterKey).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });
});

/** Every form a private key's material could take in a dump. */
function fingerprints(key: KeyObject): string[] {
  const jwk = key.export({ format: 'jwk' });
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return [
    jwk.d!,
    jwk.p!,
    jwk.q!,
    der.toString('base64').slice(40, 120),
    der.toString('hex').slice(80, 240),
  ];
}

async function prodServer(env: Record<string, string>, sqlitePath?: string): Promise<Server> {
  const config = loadAppConfig(
    { NODE_ENV: 'production', TESSERA_TRUST_PROXY: 'none', ...env },
    { logLevel: 'silent', adminPassword: 'a-long-admin-password-1', rsaKeyPoolSize: 2 },
  );
  return createServer(config, { ...(sqlitePath ? { sqlitePath } : {}), noHousekeeping: true });
}

async function loginOn(s: Server, username: string) {
  const r = await s.app.inject({
    method: 'POST',
    url: '/api/public/auth/login',
    payload: { username, password: PW },
  });
  expect(r.statusCode, r.body).toBe(200);
  return (JSON.parse(r.body) as { data: { access_token: string } }).data.access_token;
}

async function registerAndLogin(s: Server, username: string) {
  await s.app.inject({
    method: 'POST',
    url: '/api/public/auth/register',
    payload: { username, password: PW, email: `${username}@example.com` },
  });
  return loginOn(s, username);
}

const meOn = async (s: Server, token: string) =>
  (
    await s.app.inject({
      method: 'GET',
      url: '/api/public/auth/me',
      headers: { authorization: `Bearer ${token}` },
    })
  ).statusCode;

describe('a database dump of a production deployment holds no usable private key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-seal-'));
  });

  it('SQLite: the database files, byte for byte, hold neither the signing key nor a secret in the clear', async () => {
    const path = join(dir, 'tessera.db');
    const s = await prodServer({ TESSERA_MASTER_KEY: newKey() }, path);
    let marks: string[];
    try {
      expect(await meOn(s, await registerAndLogin(s, 'dumped'))).toBe(200);
      marks = fingerprints(s.rt.keyring.active().signKey!);
    } finally {
      await s.close();
    }
    const files = readdirSync(dir).filter((f) => f.startsWith('tessera.db'));
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
    const text = bytes.toString('latin1');
    for (const m of marks) expect(text.includes(m), 'private key material in the file').toBe(false);
    expect(text).not.toMatch(/"d":"/);
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).toMatch(/tsl1:/);
  });

  it.skipIf(!havePostgres())(
    'PostgreSQL: pg_dump of the schema holds neither the signing key nor a secret in the clear',
    async () => {
      const schema = uniqueName('seal').toLowerCase();
      const s = await prodServer({
        TESSERA_MASTER_KEY: newKey(),
        TESSERA_DATABASE_URL: pgUrl!,
        TESSERA_DATABASE_SCHEMA: schema,
      });
      try {
        const marks = fingerprints(s.rt.keyring.active().signKey!);
        const dump = execFileSync('pg_dump', ['--schema', schema, '--data-only', pgUrl!], {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
        });
        expect(dump).toMatch(/signing_keys/);
        for (const m of marks) expect(dump.includes(m), 'private key material').toBe(false);
        expect(dump).not.toMatch(/"d":"/);
        expect(dump).toMatch(/tsl1:/);
      } finally {
        await s.close();
        await dropSchema(schema);
      }
    },
  );
});

describe('master key life: sealing clear values, rotation by `tessera keys reseal`', () => {
  const saved = { ...process.env };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-reseal-'));
    process.env.TESSERA_DATA_DIR = dir;
    process.env.TESSERA_LOG_LEVEL = 'silent';
    delete process.env.TESSERA_DATABASE_URL;
    delete process.env.TESSERA_REDIS_URL;
    delete process.env.TESSERA_MASTER_KEY;
    delete process.env.TESSERA_MASTER_KEY_PREVIOUS;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  const devServer = (env: Record<string, string> = {}) =>
    createServer(
      loadAppConfig(
        { TESSERA_DATA_DIR: dir, ...env },
        { logLevel: 'silent', adminPassword: 'a-long-admin-password-1', rsaKeyPoolSize: 2 },
      ),
      { noHousekeeping: true },
    );
  const storedKeys = () =>
    readFileSync(join(dir, 'tessera.db')).toString('latin1') +
    (existsSync(join(dir, 'tessera.db-wal'))
      ? readFileSync(join(dir, 'tessera.db-wal')).toString('latin1')
      : '');

  it('clear keys of a deployment without a master key are sealed at the first start with one; tokens stay valid', async () => {
    const plain = await devServer();
    let token: string;
    let kid: string;
    try {
      token = await registerAndLogin(plain, 'early');
      kid = plain.rt.keyring.active().kid;
    } finally {
      await plain.close();
    }
    const k1 = newKey();
    const sealed = await devServer({ TESSERA_MASTER_KEY: k1 });
    try {
      expect(sealed.rt.keyring.active().kid).toBe(kid);
      expect(await meOn(sealed, token)).toBe(200);
    } finally {
      await sealed.close();
    }
    const out = capture();
    process.env.TESSERA_MASTER_KEY = k1;
    expect(await main(['keys', 'reseal', '--json'], out.io)).toBe(0);
    expect(JSON.parse(out.out.at(-1)!)).toMatchObject({ resealed: 0 });
    // Without the key, the node cannot open its signing key: it does not start.
    await expect(devServer()).rejects.toThrow(/sealed under master key .* does not hold/);
  });

  it('rotation without downtime: a node holding both keys serves through the reseal; then the new key alone suffices and the old one no longer opens', async () => {
    const [k1, k2] = [newKey(), newKey()];
    const first = await devServer({ TESSERA_MASTER_KEY: k1 });
    let token: string;
    try {
      token = await registerAndLogin(first, 'rot');
    } finally {
      await first.close();
    }
    // Step 1: nodes run with the new key sealing and the old one opening.
    const node = await devServer({ TESSERA_MASTER_KEY: k2, TESSERA_MASTER_KEY_PREVIOUS: k1 });
    try {
      expect(await meOn(node, token)).toBe(200);
      // Step 2: the reseal runs beside the live node.
      process.env.TESSERA_MASTER_KEY = k2;
      process.env.TESSERA_MASTER_KEY_PREVIOUS = k1;
      const out = capture();
      expect(await main(['keys', 'reseal', '--json'], out.io)).toBe(0);
      const report = JSON.parse(out.out.at(-1)!) as { resealed: number; current: number };
      expect(report.resealed).toBeGreaterThanOrEqual(2); // the signing key and the shared secrets
      // The live node keeps verifying, signing, and reloading the resealed rows.
      await node.rt.keyring.reload();
      expect(await meOn(node, token)).toBe(200);
      expect(await meOn(node, await loginOn(node, 'rot'))).toBe(200);
      const again = capture();
      expect(await main(['keys', 'reseal', '--json'], again.io)).toBe(0);
      expect(JSON.parse(again.out.at(-1)!)).toMatchObject({ resealed: 0 });
    } finally {
      await node.close();
    }
    // Step 3: the old key is dropped everywhere.
    const after = await devServer({ TESSERA_MASTER_KEY: k2 });
    try {
      expect(await meOn(after, token)).toBe(200);
    } finally {
      await after.close();
    }
    await expect(devServer({ TESSERA_MASTER_KEY: k1 })).rejects.toThrow(SealError);
    expect(storedKeys()).not.toMatch(/"d":"/);
  });

  it('refuses a reseal without a master key, and reads the key from a file', async () => {
    const none = capture();
    expect(await main(['keys', 'reseal'], none.io)).toBe(2);
    expect(none.err.join('')).toMatch(/set TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE/);
    const file = join(dir, 'master-key');
    writeFileSync(file, `${newKey()}\n`);
    const s = await devServer({ TESSERA_MASTER_KEY_FILE: file });
    try {
      expect(s.rt.sealer.current).toMatch(/^[A-Za-z0-9_-]{11}$/);
    } finally {
      await s.close();
    }
    await expect(devServer({ TESSERA_MASTER_KEY_FILE: join(dir, 'missing') })).rejects.toThrow(
      /TESSERA_MASTER_KEY_FILE: cannot read/,
    );
  });
});
