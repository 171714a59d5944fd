import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import type { RoleService } from '../roles/service.js';
import type { SettingsService } from '../settings/service.js';
import type { AccessClaims } from './claims.js';
import type { Signer } from './signer.js';

export interface TokenSubject {
  id: number;
  username: string;
  user_type: string;
}

/** Mints access tokens; their lifetime never exceeds the session's. */
export function createAccessIssuer(d: { signer: Signer; roles: RoleService; settings: SettingsService; clock: Clock; issuer: string; audience: string }) {
  return {
    async issue(user: TokenSubject, roles: string[], session: { id: string; expires_at: number }): Promise<{ token: string; claims: AccessClaims; expiresIn: number }> {
      const nowSec = Math.floor(d.clock.now() / 1000);
      const exp = Math.min(nowSec + d.settings.get().accessTokenTtl, Math.floor(session.expires_at / 1000));
      const { role, level } = d.roles.primary(roles);
      const claims: AccessClaims = {
        iss: d.issuer,
        aud: d.audience,
        sub: String(user.id),
        sid: session.id,
        jti: randomId(12),
        iat: nowSec,
        exp,
        role,
        level,
        scope: [...d.roles.permissionsOf(roles)].join(' '),
        roles,
        user_type: user.user_type,
        username: user.username,
      };
      return { token: await d.signer.sign(claims), claims, expiresIn: exp - nowSec };
    },
  };
}

export type AccessIssuer = ReturnType<typeof createAccessIssuer>;
