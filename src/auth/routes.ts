import type { FastifyInstance, FastifyRequest } from 'fastify';
import { servesTenants } from '../contract/tenant-routes.js';
import { envelope, LOGIN_ERRORS, ok, responses } from '../contract/reply.js';
import { requestMeta } from '../contract/request-meta.js';
import type { AccessClaims } from '../tokens/claims.js';
import type { AuthService, LoginInput } from './service.js';
import { loginBody, meData, refreshBody, registerBody, tokenPair } from './schemas.js';

const tags = ['encrypted-login client API'];

/** Seed-001 `ROLE_*` authorities from the token's roles. */
function authorities(claims: AccessClaims): string[] {
  return (claims.roles ?? []).map((r) => `ROLE_${r.toUpperCase()}`);
}

function meOf(c: AccessClaims) {
  return {
    userId: Number(c.sub),
    username: c.username,
    authorities: authorities(c),
    user_type: c.user_type,
    role: c.role,
    level: c.level,
    scope: c.scope,
    session_id: c.sid,
    expires_at: c.exp * 1000,
  };
}

/** The seed-001 endpoints under `<context-path>/public/auth`, exact paths and shapes. */
export function authRoutes() {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const authOf = (req: FastifyRequest): AuthService => req.tenantServices.auth;
    app.post<{ Body: LoginInput & { device_id?: string; device_name?: string } }>(
      '/login',
      {
        schema: {
          tags,
          summary: 'Log in with a password, in clear or RSA-encrypted',
          body: loginBody,
          response: responses({ 200: envelope(tokenPair) }, LOGIN_ERRORS),
        },
      },
      async (req, reply) => {
        const r = await authOf(req).login(req.body, requestMeta(req, req.body));
        return ok(req, reply, r.tokens, { message: 'LOGIN' });
      },
    );

    app.post<{
      Body: {
        username: string;
        email: string;
        password: string;
        phoneNumber?: string;
        captcha?: string;
        locale?: string;
      };
    }>(
      '/register',
      {
        schema: {
          tags,
          summary: 'Create an account',
          body: registerBody,
          response: responses({ 201: envelope() }, [
            'USER_EXISTS',
            'PASSWORD_WEAK',
            'CAPTCHA_REQUIRED',
            'CAPTCHA_FAILED',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) => {
        const lang = req.headers['accept-language'];
        await authOf(req).register(
          {
            ...req.body,
            phoneNumber: req.body.phoneNumber ?? undefined,
            locale: req.body.locale ?? (typeof lang === 'string' ? lang : undefined),
          },
          requestMeta(req),
        );
        return ok(req, reply, null, { status: 201, message: 'REGISTER' });
      },
    );

    app.post<{ Body: { refresh_token: string } }>(
      '/refresh',
      {
        schema: {
          tags,
          summary: 'Rotate a refresh token',
          body: refreshBody,
          response: responses({ 200: envelope(tokenPair) }, [
            'TOKEN_INVALID',
            'TOKEN_EXPIRED',
            'TOKEN_REVOKED',
            'SESSION_ENDED',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) =>
        ok(req, reply, await authOf(req).refresh(req.body.refresh_token, requestMeta(req)), {
          message: 'REFRESH',
        }),
    );

    app.post(
      '/logout',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          summary: 'End this session',
          security: [{ bearer: [] }],
          response: responses({ 200: envelope() }),
        },
      },
      async (req, reply) => {
        await authOf(req).logout(req.auth!, requestMeta(req));
        return ok(req, reply, null, { message: 'LOGOUT' });
      },
    );

    app.get(
      '/me',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          summary: 'The caller, from its access token',
          security: [{ bearer: [] }],
          response: responses({ 200: envelope(meData) }),
        },
      },
      async (req, reply) => ok(req, reply, meOf(req.auth!)),
    );
  };
}
