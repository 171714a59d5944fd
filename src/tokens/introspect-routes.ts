import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';

const introspection = {
  type: 'object',
  required: ['active'],
  properties: {
    active: { type: 'boolean' },
    sub: { type: 'string' },
    sid: { type: 'string' },
    jti: { type: 'string' },
    iat: { type: 'integer' },
    exp: { type: 'integer' },
    scope: { type: 'string' },
    username: { type: 'string' },
    user_type: { type: 'string' },
    token_type: { type: 'string' },
  },
} as const;

/**
 * Token introspection for backend services (RFC 7662 shape, inside the usual
 * envelope). Mounted under a public-token path (`TESSERA_PUBLIC_TOKEN_PATHS`,
 * default `/api/service/`), so the caller authenticates with a static API
 * token, never with a user's JWT. The answer applies the same checks as a
 * protected route: signature, claims, revocation (logout, kick, denylist).
 * Any refused token is just `{ active: false }` (RFC 7662 §2.2: no reason).
 */
export function introspectRoutes() {
  return async function routes(app: FastifyInstance): Promise<void> {
    // In a tenant, tokens are checked by that tenant's keys, issuer and tid.
    servesTenants(app);
    app.post<{ Body: { token: string } }>(
      '/introspect',
      {
        schema: {
          tags: ['service'],
          security: [{ apiToken: [] }],
          summary:
            'Is this access token active? (RFC 7662) For backend services holding a public API token',
          body: {
            type: 'object',
            examples: [{ token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6…' }],
            required: ['token'],
            additionalProperties: false,
            properties: { token: { type: 'string', minLength: 1, maxLength: 8192 } },
          },
          response: responses({ 200: envelope(introspection) }, ['UNAVAILABLE']),
        },
      },
      async (req, reply) => {
        const r = await req.tenantServices.authenticator.checkFresh(req.body.token);
        if (!r.ok) return ok(req, reply, { active: false });
        const c = r.claims;
        return ok(req, reply, {
          active: true,
          sub: c.sub,
          sid: c.sid,
          jti: c.jti,
          iat: c.iat,
          exp: c.exp,
          scope: c.scope,
          username: c.username,
          user_type: c.user_type,
          token_type: 'Bearer',
        });
      },
    );
  };
}
