import { createHmac, sign as cryptoSign } from 'node:crypto';
import type { Keyring, SigningKey } from '../keys/keyring.js';
import type { AccessClaims } from './claims.js';
import { ACCESS_TYP } from './claims.js';

/**
 * Signs access tokens with the keyring's active key, with node:crypto on the
 * calling thread. jose's SignJWT goes through WebCrypto, whose sign is a hop to
 * the libuv pool and back (~320 µs per RS256 rotation on a pinned core, against
 * the signature's own cost); the header of a key never changes, so its encoded
 * segment is built once per key. The result is the same compact JWS jose makes
 * (a test verifies it with jose's jwtVerify for every algorithm).
 *
 * The interface stays a promise: a signer whose key lives in an HSM answers later.
 */
export function createSigner(keyring: Pick<Keyring, 'active'>) {
  const headers = new WeakMap<SigningKey, string>();

  function headerOf(key: SigningKey): string {
    let seg = headers.get(key);
    if (seg === undefined) {
      seg = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: ACCESS_TYP })).toString(
        'base64url',
      );
      headers.set(key, seg);
    }
    return seg;
  }

  function signature(key: SigningKey, input: Buffer): Buffer {
    const k = key.signKey;
    if (!k) throw new Error(`signing key ${key.kid} has no private part`);
    switch (key.alg) {
      case 'RS256':
        return cryptoSign('sha256', input, k);
      case 'ES256':
        return cryptoSign('sha256', input, { key: k, dsaEncoding: 'ieee-p1363' });
      case 'EdDSA':
        return cryptoSign(null, input, k);
      case 'HS256':
        return createHmac('sha256', k).update(input).digest();
    }
  }

  return {
    sign(claims: AccessClaims): Promise<string> {
      const key = keyring.active();
      const input = `${headerOf(key)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const sig = signature(key, Buffer.from(input, 'latin1'));
      return Promise.resolve(`${input}.${sig.toString('base64url')}`);
    },
  };
}

export type Signer = ReturnType<typeof createSigner>;
