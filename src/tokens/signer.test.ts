import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SigningAlg, SigningKey } from '../keys/keyring.js';
import type { AccessClaims } from './claims.js';
import { ACCESS_TYP } from './claims.js';
import { createSigner } from './signer.js';

function keyFor(alg: SigningAlg): SigningKey {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg === 'HS256') {
    const secret = createSecretKey(randomBytes(32));
    pair = { privateKey: secret, publicKey: secret };
  } else if (alg === 'RS256') pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  else if (alg === 'ES256') pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  else pair = generateKeyPairSync('ed25519');
  return {
    kid: `k-${alg}`,
    alg,
    signKey: pair.privateKey,
    verifyKey: pair.publicKey,
    createdAt: 0,
    expiresAt: null,
  };
}

const claims: AccessClaims = {
  iss: 'tessera',
  aud: 'tessera',
  tid: 'default',
  sub: '7',
  sid: 's1',
  jti: 'j1',
  iat: 1_780_000_000,
  exp: 1_780_000_900,
  role: 'user',
  level: 10,
  scope: 'profile',
  roles: ['user'],
  user_type: 'user',
  username: 'zoë',
};

/** The signer builds compact JWS with node:crypto: jose must read it as its own. */
describe('access-token signer', () => {
  it.each<SigningAlg>(['RS256', 'ES256', 'EdDSA', 'HS256'])(
    '%s tokens verify with jose, header and claims intact',
    async (alg) => {
      const key = keyFor(alg);
      const token = await createSigner({ active: () => key }).sign(claims);
      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: key.kid, typ: ACCESS_TYP });
      const { payload } = await jwtVerify(token, key.verifyKey, {
        algorithms: [alg],
        issuer: 'tessera',
        audience: 'tessera',
        typ: ACCESS_TYP,
        currentDate: new Date(1_780_000_100_000),
      });
      expect(payload).toEqual(claims);
      // A token signed by another key of the same algorithm does not verify.
      const other = await createSigner({ active: () => keyFor(alg) }).sign(claims);
      await expect(
        jwtVerify(other, key.verifyKey, { currentDate: new Date(1_780_000_100_000) }),
      ).rejects.toThrow();
    },
  );

  it('signs with the key active at the time of each call (rotation)', async () => {
    let key = keyFor('ES256');
    const signer = createSigner({ active: () => key });
    const first = await signer.sign(claims);
    key = keyFor('ES256');
    const second = await signer.sign(claims);
    expect(decodeProtectedHeader(first).kid).toBe('k-ES256');
    expect(decodeProtectedHeader(second).kid).toBe('k-ES256');
    await expect(
      jwtVerify(second, key.verifyKey, { currentDate: new Date(1_780_000_100_000) }),
    ).resolves.toBeTruthy();
    await expect(
      jwtVerify(first, key.verifyKey, { currentDate: new Date(1_780_000_100_000) }),
    ).rejects.toThrow();
  });
});
