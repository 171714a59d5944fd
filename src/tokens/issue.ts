import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import type { RoleService } from '../roles/service.js';
import type { SessionTable } from '../sessions/table.js';
import type { SettingsService } from '../settings/service.js';
import type { AccessClaims } from './claims.js';
import type { Signer } from './signer.js';

export interface TokenSubject {
  id: number;
  username: string;
  user_type: string;
}

/** Mints access tokens; their lifetime never exceeds the session's. */
export function createAccessIssuer(d: {
  signer: Signer;
  roles: RoleService;
  settings: SettingsService;
  clock: Clock;
  issuer: string;
  audience: string;
  /** The tenant the tokens belong to (claim `tid`). */
  tenant: string;
  /** The user's token cut-off (ms) after a role or user-type change, or null (revocation list). */
  notBefore?: (sub: string) => number | null;
  /** The node's session table: a session this node issues for is known to it at once. */
  sessions?: Pick<SessionTable, 'put'>;
}) {
  return {
    async issue(
      user: TokenSubject,
      roles: string[],
      session: { id: string; expires_at: number },
    ): Promise<{ token: string; claims: AccessClaims; expiresIn: number }> {
      const nowSec = Math.floor(d.clock.now() / 1000);
      const exp = Math.min(
        nowSec + d.settings.get().accessTokenTtl,
        Math.floor(session.expires_at / 1000),
      );
      // After a per-user revocation (roles changed), tokens minted in the same
      // second are stamped with its cut-off, the next second, so the check (whole
      // seconds) tells them from the tokens it refuses. Normally 1 s ahead: within the verifier's tolerance.
      const nb = d.notBefore?.(String(user.id)) ?? null;
      const iat = nb !== null && nowSec * 1000 < nb ? Math.ceil(nb / 1000) : nowSec;
      const { role, level } = d.roles.primary(roles);
      const claims: AccessClaims = {
        iss: d.issuer,
        aud: d.audience,
        tid: d.tenant,
        sub: String(user.id),
        sid: session.id,
        jti: randomId(12),
        iat,
        exp,
        role,
        level,
        scope: [...d.roles.permissionsOf(roles)].join(' '),
        roles,
        user_type: user.user_type,
        username: user.username,
      };
      const token = await d.signer.sign(claims);
      // Issued after the session's row committed (login and refresh commit first).
      d.sessions?.put(session.id, {
        sub: claims.sub,
        tenant: d.tenant,
        expiresAt: session.expires_at,
      });
      return { token, claims, expiresIn: exp - nowSec };
    },
  };
}

export type AccessIssuer = ReturnType<typeof createAccessIssuer>;
