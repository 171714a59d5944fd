import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import { safeEqual } from '../lib/crypto.js';
import type { RoleService } from '../roles/service.js';
import type { AccessClaims } from '../tokens/claims.js';
import { bearerToken, type Authenticator } from '../tokens/authenticate.js';
import { TesseraError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `jwt`: an access token is required. Default `none` (an excluded path). */
    auth?: 'none' | 'jwt';
    /** Permission(s) the caller's roles must grant (403 FORBIDDEN otherwise). */
    requires?: string | readonly string[];
    /** Minimum role level (seed 003 tiers). */
    minLevel?: number;
  }
  interface FastifyRequest {
    auth?: AccessClaims;
  }
}

export interface GuardDeps {
  authenticator: Authenticator;
  roles: RoleService;
  publicApiTokens: readonly string[];
  publicTokenPaths: readonly string[];
}

/**
 * Seed 002's middleware chain, declared per route and attached at route
 * registration (so unauthenticated routes pay nothing):
 *   1. excluded paths: routes declared `auth: 'none'` get no guard;
 *   2. public API token on the configured path prefixes (constant-time compare);
 *   3. JWT verification; 4. session alive / token not revoked (in memory);
 *   5. permission check → 403; 6. last-seen marked in memory, written in batches.
 */
export function installAuthGuards(app: FastifyInstance, d: GuardDeps): void {
  // The request's tenant's services (src/http/tenant.ts); the given ones where no tenant hook runs.
  const svc = (req: FastifyRequest): Pick<GuardDeps, 'authenticator' | 'roles'> =>
    req.tenantServices ?? d;

  function permissionDenied(
    roles: RoleService,
    claims: AccessClaims,
    cfg: RouteOptions['config'],
  ): boolean {
    const req = cfg?.requires;
    if (req) {
      const granted = roles.permissionsOf(claims.roles ?? []);
      for (const p of typeof req === 'string' ? [req] : req) if (!granted.has(p)) return true;
    }
    // Like permissions, the level comes from the role definitions in force, not
    // the token's copy: lowering a role's level applies at once.
    if (cfg?.minLevel !== undefined && roles.primary(claims.roles ?? []).level < cfg.minLevel)
      return true;
    return false;
  }

  function jwtGuard(
    this: unknown,
    req: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const token = bearerToken(req.headers.authorization);
    if (!token)
      return done(new TesseraError(req.headers.authorization ? 'TOKEN_INVALID' : 'TOKEN_MISSING'));
    const { authenticator, roles } = svc(req);
    const r = authenticator.check(token);
    if (r.ok) {
      if (permissionDenied(roles, r.claims, req.routeOptions.config))
        return done(new TesseraError('FORBIDDEN'));
      req.auth = r.claims;
      return done();
    }
    if (!r.kid && !r.confirm) return done(new TesseraError(r.code));
    // Unknown key id (maybe rotated in by another node: rare, rate-limited
    // reload) or a session this node has not seen yet (one read, then in memory).
    authenticator.checkFresh(token).then((again) => {
      if (!again.ok) return done(new TesseraError(again.code));
      if (permissionDenied(roles, again.claims, req.routeOptions.config))
        return done(new TesseraError('FORBIDDEN'));
      req.auth = again.claims;
      done();
    }, done);
  }

  function publicTokenGuard(
    req: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const presented =
      bearerToken(req.headers.authorization) ?? (req.headers['x-api-token'] as string | undefined);
    if (!presented) return done(new TesseraError('TOKEN_MISSING'));
    // A token was presented (e.g. a user's JWT): too long to be ours is invalid, not missing.
    if (presented.length > 512) return done(new TesseraError('TOKEN_INVALID'));
    let match = false;
    for (const t of d.publicApiTokens) match = safeEqual(presented, t) || match;
    done(match ? undefined : new TesseraError('TOKEN_INVALID'));
  }

  app.addHook('onRoute', (route) => {
    const url = route.url ?? '';
    const guard = d.publicTokenPaths.some((p) => url.startsWith(p))
      ? publicTokenGuard
      : route.config?.auth === 'jwt'
        ? jwtGuard
        : null;
    if (!guard) return;
    const existing = route.onRequest
      ? Array.isArray(route.onRequest)
        ? route.onRequest
        : [route.onRequest]
      : [];
    route.onRequest = [guard, ...existing];
  });
}
