import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFields, loadAppConfig, unknownAppSettings } from '../app/features.js';
import { createServer } from '../app/server.js';
import { asTenantId } from '../db/scope.js';
import { ensureFreshBuild } from '../test-support/faults/build.js';
import { MAIN, ROOT } from '../test-support/processes.js';
import { tenantHostPairs } from './checks.js';
import { ConfigError } from './load.js';
import type { Config } from './schema.js';

const FIELDS = allFields();
const ONE_LINE = (env: string) =>
  new RegExp(`^${env}: [^\\n]+ \\(example: [^\\n]+\\)( \\(refused when NODE_ENV=production\\))?$`);

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadAppConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`accepted: ${JSON.stringify(env)}`);
}

/** @see issue 12 item 3: every setting is checked when the configuration is read. */
describe('structured settings are checked at load', () => {
  const bad: [string, string, RegExp][] = [
    ['TESSERA_TRUST_PROXY', 'not-an-ip', /"not-an-ip" is not an IP address or CIDR/],
    ['TESSERA_TRUST_PROXY', '10.0.0.0/33', /prefix length outside 0\.\.32/],
    ['TESSERA_TRUST_PROXY', '::1/129', /prefix length outside 0\.\.128/],
    ['TESSERA_TRUST_PROXY', 'none,10.0.0.1', /"none" cannot be combined/],
    ['TESSERA_TRUST_PROXY', 'true', /"true" is not an IP address/],
    ['TESSERA_LOGIN_POLICY', 'sometimes', /"sometimes" is not <user_type>=<policy>/],
    ['TESSERA_LOGIN_POLICY', 'kefu=sometimes', /"sometimes" is not one of multi, single, reject/],
    ['TESSERA_TENANT_RESOLUTION', 'header,cookie', /"cookie" is not one of host, header, path/],
    ['TESSERA_TENANT_HOSTS', 'acme.example.com', /is not host=tenant/],
    ['TESSERA_TENANT_HOSTS', 'acme.example.com=Acme!', /"Acme!" is not a tenant id/],
    ['TESSERA_TENANT_HOSTS', 'bad host=acme', /"bad host" is not a host name/],
    ['TESSERA_HOST', 'not a host', /is not an IP address or host name/],
    ['TESSERA_DATABASE_SCHEMA', 'x"; drop', /not a lower-case SQL identifier/],
    ['TESSERA_PUBLIC_TOKEN_PATHS', 'api/service/', /is not a path starting with \//],
    ['TESSERA_ALERT_WEBHOOK_URLS', 'hooks.example.com', /is not a valid URL/],
    ['TESSERA_ALERT_WEBHOOK_URLS', 'ftp://hooks.example.com/', /protocol must be https: or http:/],
    ['TESSERA_CORS_ORIGINS', 'https://app.example.com/', /not an exact origin/],
    ['TESSERA_CORS_ORIGINS', 'app.example.com', /not an origin/],
    ['TESSERA_CORS_ORIGINS', '*,https://a.example', /"\*" cannot be combined/],
    [
      'TESSERA_JWT_PRIVATE_KEY_FILE',
      '/nonexistent/jwt.pem',
      /cannot read \/nonexistent\/jwt\.pem \(ENOENT\)/,
    ],
    ['TESSERA_ADMIN_PASSWORD', 'short', /password must be at least 8 characters/],
    ['TESSERA_ADMIN_PASSWORD', 'password', /password is too common/],
  ];
  it.each(bad)('%s=%s stops with one line', (env, value, problem) => {
    const e = refusal({ [env]: value });
    expect(e.message).toMatch(ONE_LINE(env));
    expect(e.message).toMatch(problem);
  });

  it('good values pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-checks-'));
    try {
      const pem = join(dir, 'jwt.pem');
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(pem, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const c = loadAppConfig({
        TESSERA_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, ::1, fd00::/8, loopback',
        TESSERA_LOGIN_POLICY: 'kefu=single,*=multi',
        TESSERA_TENANT_RESOLUTION: 'host,header,path',
        TESSERA_TENANT_HOSTS: 'acme.example.com=acme,localhost=beta',
        TESSERA_HOST: '::',
        TESSERA_DATABASE_SCHEMA: 'tessera_1',
        TESSERA_PUBLIC_TOKEN_PATHS: '/api/service/,/internal/',
        TESSERA_ALERT_WEBHOOK_URLS: 'https://hooks.example.com/tessera',
        TESSERA_CORS_ORIGINS: 'https://app.example.com,http://localhost:5173',
        TESSERA_JWT_PRIVATE_KEY_FILE: pem,
      });
      expect(c.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback']);
      expect(c.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
      expect(loadAppConfig({ TESSERA_TRUST_PROXY: 'none' }).trustProxy).toEqual(['none']);
      writeFileSync(pem, 'not a key');
      expect(refusal({ TESSERA_JWT_PRIVATE_KEY_FILE: pem }).message).toMatch(
        /does not hold a PEM private key/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a secret list is never echoed in its message', () => {
    // TESSERA_PUBLIC_API_TOKENS has no structure check; a too-long secret string is the case.
    const e = refusal({ TESSERA_ALTCHA_HMAC_KEY: 's3cr3t'.repeat(100) });
    expect(e.message).not.toContain('s3cr3t');
  });

  it('the tenant id syntax of TESSERA_TENANT_HOSTS is the one of src/db/scope.ts', () => {
    for (const id of [
      'acme',
      'a',
      'a-b',
      '0',
      'a'.repeat(63),
      'a'.repeat(64),
      '-a',
      'a-',
      'A',
      'a_b',
      'a.b',
      '',
    ])
      expect(tenantHostPairs([`h.example=${id}`]) === undefined, id).toBe(
        id !== '' && asTenantId(id) !== undefined,
      );
  });

  it('CORS "*" is a development convenience, refused in production', () => {
    expect(loadAppConfig({ TESSERA_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    const e = refusal({
      NODE_ENV: 'production',
      TESSERA_TRUST_PROXY: 'none',
      TESSERA_CORS_ORIGINS: '*',
    });
    expect(e.message).toMatch(
      /^TESSERA_CORS_ORIGINS: "\*" \(any origin\) is refused when NODE_ENV=production/,
    );
  });
});

describe('unknown TESSERA_* variables', () => {
  it('are reported with the nearest known name in development, and the start goes on', () => {
    const env = {
      TESSERA_PROT: '9000',
      TESSERA_RSA_KEY_TTL_SECOND: '60', // a feature's field
      TESSERA_ZZZZZZZZZZZZZZZZ: '1',
      TESSERA_FAILPOINTS: '', // read outside the table
      TESSERA_TEST_DATABASE_URL: 'postgres://x', // the tests' own
      JWT_SECRET_FILE: 'x', // not ours
    };
    expect(loadAppConfig(env).port).toBe(8080);
    expect(unknownAppSettings(env)).toEqual([
      'TESSERA_PROT: no such setting, did you mean TESSERA_PORT? (example: TESSERA_PORT=8080)',
      'TESSERA_RSA_KEY_TTL_SECOND: no such setting, did you mean TESSERA_RSA_KEY_TTL_SECONDS? (example: TESSERA_RSA_KEY_TTL_SECONDS=300)',
      'TESSERA_ZZZZZZZZZZZZZZZZ: no such setting (see docs/configuration.md; example: TESSERA_PORT=8080)',
    ]);
  });

  it('are refused in production', () => {
    const e = refusal({ NODE_ENV: 'production', TESSERA_TRUST_PROXY: 'none', TESSERA_PROT: '1' });
    expect(e.message).toBe(
      'TESSERA_PROT: no such setting, did you mean TESSERA_PORT? (example: TESSERA_PORT=8080) (refused when NODE_ENV=production)',
    );
  });

  it('an unknown key of TESSERA_CONFIG_FILE says the nearest name too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-checks-'));
    try {
      const file = join(dir, 'tessera.json');
      writeFileSync(file, JSON.stringify({ TESSERA_LOGIN_POLCY: 'kefu=single' }));
      expect(refusal({ TESSERA_CONFIG_FILE: file }).message).toMatch(
        /unknown setting "TESSERA_LOGIN_POLCY", did you mean TESSERA_LOGIN_POLICY\?/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Garbage in every setting: the configuration either takes it or stops with a ConfigError, never
 * anything else; and a value it took never makes the start fail with anything but a ConfigError.
 */
describe('every field, garbage values', () => {
  const GARBAGE = [
    'garbage',
    '-1',
    '0',
    '99999999999',
    '1.5',
    ' 7 ',
    '=,=',
    'a'.repeat(5000),
    '🙂',
    ',',
    'none',
  ];
  /** Fields naming something outside the process (a server, a file, a URL): reaching it is not a config check. */
  const EXTERNAL = new Set(['databaseUrl', 'redisUrl', 'turnstileVerifyUrl', 'dataDir']);
  const accepted: [string, string][] = [];

  it('loadAppConfig accepts or throws ConfigError, for every field', () => {
    for (const [name, f] of Object.entries(FIELDS)) {
      for (const v of GARBAGE) {
        try {
          loadAppConfig({ [f.env]: v });
          if (!EXTERNAL.has(name)) accepted.push([name, v]);
        } catch (e) {
          expect(e, `${f.env}=${v.slice(0, 20)}`).toBeInstanceOf(ConfigError);
          expect((e as Error).message, f.env).toMatch(ONE_LINE(f.env));
        }
      }
    }
    expect(accepted.length).toBeGreaterThan(20);
  });

  it('what it accepted starts, or stops with a ConfigError', async () => {
    const failures: string[] = [];
    // Two accepted values per field at most: each start costs a runtime and a key pair.
    const perField = new Map<string, number>();
    const tried = accepted.filter(([name]) => {
      perField.set(name, (perField.get(name) ?? 0) + 1);
      return perField.get(name)! <= 2;
    });
    const startOne = async ([name, v]: [string, string]) => {
      const f = FIELDS[name]!;
      let config: Config;
      try {
        // HS256 spares a signing key pair per start, unless the garbage is in the JWT settings.
        const cheap = name.startsWith('jwt')
          ? {}
          : { jwtAlgorithm: 'HS256', jwtSecret: 'k'.repeat(40) };
        config = loadAppConfig({ [f.env]: v }, { logLevel: 'silent', rsaKeyPoolSize: 1, ...cheap });
        // The garbage itself, where the override above would hide it.
        if (name === 'logLevel' || name === 'rsaKeyPoolSize')
          config = loadAppConfig({ [f.env]: v, TESSERA_LOG_LEVEL: 'silent' });
      } catch (e) {
        failures.push(`${f.env}=${v.slice(0, 20)}: ${(e as Error).message}`);
        return;
      }
      try {
        const s = await createServer(config, { sqlitePath: ':memory:', noHousekeeping: true });
        await s.close();
      } catch (e) {
        if (!(e instanceof ConfigError)) failures.push(`${f.env}=${v.slice(0, 20)}: ${String(e)}`);
      }
    };
    // A few at a time: each start hashes a password and makes a key pair (thread pool work).
    const queue = [...tried];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await startOne(next);
      }),
    );
    expect(tried.length).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  }, 120_000);
});

/** The real entry point: a bad value stops it with exit code 2 and one line on stderr. */
describe('node dist/main.js refuses a bad setting with exit 2', () => {
  let dir: string;
  beforeAll(() => {
    ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'tessera-refusals-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [{ TESSERA_TRUST_PROXY: 'not-an-ip' }, 'TESSERA_TRUST_PROXY'],
    [{ TESSERA_LOGIN_POLICY: 'sometimes' }, 'TESSERA_LOGIN_POLICY'],
    [{ TESSERA_TENANT_HOSTS: 'acme.example.com' }, 'TESSERA_TENANT_HOSTS'],
    [{ TESSERA_TENANT_RESOLUTION: 'cookie' }, 'TESSERA_TENANT_RESOLUTION'],
    [{ NODE_ENV: 'production', TESSERA_TRUST_PROXY: 'none', TESSERA_PROT: '1' }, 'TESSERA_PROT'],
  ])('%j', (env, name) => {
    const r = spawnSync(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TESSERA_DATA_DIR: dir, TESSERA_PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^tessera: configuration error: ${name}: `));
  });
});
