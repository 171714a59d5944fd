import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from './load.js';
import { allFields, loadAppConfig } from '../app/features.js';

const FIELDS = allFields();

describe('configuration', () => {
  it('defaults: the embedded single-node setup of the README', () => {
    const c = loadAppConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: './data',
      contextPath: '/api',
      accessTokenTtl: 900,
      refreshTokenTtl: 604800,
      jwtAlgorithm: 'RS256',
      rsaKeyTtl: 300,
      loginPolicy: '*=multi',
      maxSessions: 10,
      production: false,
    });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
  });

  it('reads the contract names from the environment', () => {
    const c = loadConfig({
      TESSERA_PORT: '9000',
      TESSERA_ACCESS_TOKEN_TTL_SECONDS: '300',
      TESSERA_LOGIN_POLICY: 'kefu=single,*=multi',
      TESSERA_DEMO: '1',
      TESSERA_DATABASE_URL: 'postgres://u:p@db/x',
    });
    expect(c).toMatchObject({
      port: 9000,
      accessTokenTtl: 300,
      loginPolicy: 'kefu=single,*=multi',
      demo: true,
      databaseUrl: 'postgres://u:p@db/x',
    });
  });

  it('a bad value stops with one line naming the variable, the problem and an example', () => {
    const cases: Record<string, RegExp> = {
      TESSERA_PORT: /^TESSERA_PORT: "abc" is not a whole number \(example: TESSERA_PORT=8080\)$/,
      TESSERA_ACCESS_TOKEN_TTL_SECONDS: /outside 60\.\.86400/,
      TESSERA_JWT_ALGORITHM: /not one of RS256, ES256, EdDSA, HS256/,
      TESSERA_DATABASE_URL: /protocol must be one of postgres:, postgresql:/,
      TESSERA_DEMO: /not a boolean/,
    };
    const values: Record<string, string> = {
      TESSERA_PORT: 'abc',
      TESSERA_ACCESS_TOKEN_TTL_SECONDS: '5',
      TESSERA_JWT_ALGORITHM: 'none',
      TESSERA_DATABASE_URL: 'mysql://x',
      TESSERA_DEMO: 'maybe',
    };
    for (const [k, re] of Object.entries(cases)) {
      try {
        loadConfig({ [k]: values[k] });
        expect.fail(`${k} accepted`);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as Error).message).toMatch(re);
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });

  it('seed 000 JWT_SECRET selects HS256', () => {
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40) }).jwtAlgorithm).toBe('HS256');
    expect(() => loadConfig({ TESSERA_JWT_ALGORITHM: 'HS256' })).toThrow(
      /TESSERA_JWT_SECRET: required/,
    );
  });

  it('production refuses demo users, weak or placeholder secrets and an unset proxy trust', () => {
    const key = { TESSERA_MASTER_KEY: 'q'.repeat(43) };
    const prod = { NODE_ENV: 'production', TESSERA_TRUST_PROXY: 'none', ...key };
    expect(() => loadConfig({ ...prod, TESSERA_DEMO: '1' })).toThrow(/TESSERA_DEMO/);
    expect(() => loadConfig({ ...prod, JWT_SECRET: 'short-secret' })).toThrow(/256 bits/);
    expect(() =>
      loadConfig({ ...prod, JWT_SECRET: 'your-secret-key-change-in-production' }),
    ).toThrow(/placeholder/);
    expect(() => loadConfig({ NODE_ENV: 'production', ...key })).toThrow(
      /TESSERA_TRUST_PROXY: must be set explicitly/,
    );
    expect(loadConfig(prod).production).toBe(true);
  });

  it('an optional JSON file, overridden by the environment; unknown keys refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ TESSERA_PORT: 7000, TESSERA_MAX_SESSIONS_PER_USER: 3 }));
    expect(loadConfig({ TESSERA_CONFIG_FILE: file })).toMatchObject({ port: 7000, maxSessions: 3 });
    expect(loadConfig({ TESSERA_CONFIG_FILE: file, TESSERA_PORT: '7001' }).port).toBe(7001);
    writeFileSync(file, JSON.stringify({ TESSERA_PROT: 1 }));
    expect(() => loadConfig({ TESSERA_CONFIG_FILE: file })).toThrow(
      /unknown setting "TESSERA_PROT"/,
    );
    writeFileSync(file, '{nope');
    expect(() => loadConfig({ TESSERA_CONFIG_FILE: file })).toThrow(/not valid JSON/);
  });

  it('the effective configuration log hides every secret', () => {
    const c = loadConfig({
      TESSERA_JWT_SECRET: 's3cr3t-'.repeat(6),
      TESSERA_ADMIN_PASSWORD: 'hunter2-hunter2',
      TESSERA_DATABASE_URL: 'postgres://app:dbpass@db/x',
      TESSERA_PUBLIC_API_TOKENS: 'tok-a,tok-b',
    });
    const text = JSON.stringify(redactedConfig(c));
    for (const secret of ['s3cr3t', 'hunter2', 'dbpass', 'tok-a'])
      expect(text).not.toContain(secret);
    expect(text).toContain('postgres://app:***@db/x');
  });

  it('every field has an env name, an example and a doc line', () => {
    for (const [name, f] of Object.entries(FIELDS)) {
      expect(f.env, name).toMatch(/^TESSERA_[A-Z0-9_]+$/);
      expect(f.example.length, name).toBeGreaterThan(0);
      expect(f.doc.length, name).toBeGreaterThan(5);
    }
  });
});
