import { SignJWT } from 'jose';
import type { Keyring } from '../keys/keyring.js';
import type { AccessClaims } from './claims.js';
import { ACCESS_TYP } from './claims.js';

/** Signs access tokens with the keyring's active key (jose does the JOSE part). */
export function createSigner(keyring: Keyring) {
  return {
    async sign(claims: AccessClaims): Promise<string> {
      const key = keyring.active();
      const { iat, exp, ...rest } = claims;
      return new SignJWT(rest as unknown as Record<string, unknown>)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TYP })
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key.signKey!);
    },
  };
}

export type Signer = ReturnType<typeof createSigner>;
