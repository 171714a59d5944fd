import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { havePostgres } from '../test-support/services.js';

const me = (s: TestServer, token: string) => s.call('GET', '/api/public/auth/me', { token });
const kidOf = (t: string) =>
  JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid as string;

/** Key rotation: a token signed by the retired key verifies until it expires. @see issue 2 §5 */
describe.each(dialects())('signing keys on %s', (dialect) => {
  let s: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    s = await createTestServer({ dialect, clock });
    await s.register('rotor');
  });
  afterAll(() => s.close());

  it('rotation: old tokens verify until their expiry, the JWKS lists both keys, then drops the old one', async () => {
    const before = (await s.login('rotor')).access_token;
    const admin = await s.adminToken();
    const rot = await s.call('POST', '/api/admin/keys/rotate', { token: admin });
    expect(rot.statusCode).toBe(200);
    expect(rot.data.data.filter((k: { active: boolean }) => k.active)).toHaveLength(1);
    const after = (await s.login('rotor')).access_token;
    expect(kidOf(after)).not.toBe(kidOf(before));
    expect((await me(s, before)).statusCode).toBe(200);
    expect((await me(s, after)).statusCode).toBe(200);
    const jwks = (await s.call('GET', '/.well-known/jwks.json')).data;
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(
      [kidOf(before), kidOf(after)].sort(),
    );
    for (const k of jwks.keys) {
      expect(k).not.toHaveProperty('d');
      expect(k).not.toHaveProperty('p');
      expect(k).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    }
    // Past the longest access-token lifetime the retired key is withdrawn.
    clock.advance((900 + 31) * 1000);
    await s.rt.keyring.reload();
    const jwks2 = (await s.call('GET', '/.well-known/jwks.json')).data;
    expect(jwks2.keys.map((k: { kid: string }) => k.kid)).toEqual([kidOf(after)]);
    expect((await me(s, before)).data.error).toMatch(/TOKEN_(INVALID|EXPIRED)/);
  });
});

/** Two nodes on one PostgreSQL database, no Redis: the second learns of the new key from SQL. */
describe.runIf(havePostgres())('rotation seen by another node', () => {
  const clock = new ManualClock(Date.now());
  it('a node that did not see the rotation verifies the new kid (reload on unknown kid)', async () => {
    const s = await createTestServer({ dialect: 'postgres', clock });
    await s.register('rotor');
    const other = await createTestServer({ dialect: 'postgres', clock, join: s.shared });
    try {
      await s.rt.keyring.rotate();
      const t = (await s.login('rotor')).access_token;
      clock.advance(2000);
      expect((await me(other, t)).statusCode).toBe(200);
    } finally {
      await other.close();
      await s.close();
    }
  });
});

describe.each(['ES256', 'EdDSA'] as const)('generated %s keys', (alg) => {
  it('sign and verify, and publish the right JWK', async () => {
    const s = await createTestServer({ config: { jwtAlgorithm: alg } });
    try {
      await s.register('algo');
      const t = (await s.login('algo')).access_token;
      expect(JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).alg).toBe(alg);
      expect((await me(s, t)).statusCode).toBe(200);
      const [k] = (await s.call('GET', '/.well-known/jwks.json')).data.keys;
      expect(k.kty).toBe(alg === 'ES256' ? 'EC' : 'OKP');
      expect(k).not.toHaveProperty('d');
    } finally {
      await s.close();
    }
  });
});

describe('operator-supplied keys', () => {
  it('HS256 with TESSERA_JWT_SECRET: works, publishes nothing, refuses rotation', async () => {
    const s = await createTestServer({
      config: { jwtAlgorithm: 'HS256', jwtSecret: 'q'.repeat(48) },
    });
    try {
      await s.register('hsuser');
      const t = (await s.login('hsuser')).access_token;
      expect(JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).alg).toBe('HS256');
      expect((await me(s, t)).statusCode).toBe(200);
      expect((await s.call('GET', '/.well-known/jwks.json')).data.keys).toEqual([]);
      const rot = await s.call('POST', '/api/admin/keys/rotate', { token: await s.adminToken() });
      expect(rot.statusCode).toBe(409);
    } finally {
      await s.close();
    }
  });

  it('a PEM private key file (TESSERA_JWT_PRIVATE_KEY_FILE)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-key-'));
    const file = join(dir, 'jwt.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const s = await createTestServer({ config: { jwtPrivateKeyFile: file } });
    try {
      await s.register('pemuser');
      const t = (await s.login('pemuser')).access_token;
      expect(JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).alg).toBe('ES256');
      expect((await me(s, t)).statusCode).toBe(200);
      expect((await s.call('GET', '/.well-known/jwks.json')).data.keys[0]).toMatchObject({
        kty: 'EC',
        crv: 'P-256',
      });
    } finally {
      await s.close();
    }
  });
});
