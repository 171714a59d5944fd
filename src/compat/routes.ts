import { servesTenants } from '../contract/tenant-routes.js';
import type { DependencyHealth } from '../infra/health.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MessageKey } from '../contract/errors.js';
import { localeOf, LOGIN_ERRORS } from '../contract/reply.js';
import { successMessage } from '../contract/i18n.js';
import { requestMeta } from '../contract/request-meta.js';
import { validateSchema } from '../presence/routes.js';
import {
  heartbeatSchema,
  onlineQuery,
  onlineSchema,
  userView,
  type PresenceQueries,
} from '../presence/views.js';
import { installSeedErrors } from './error-hooks.js';
import type { FeatureServices } from '../feature/contract.js';
import {
  loginData,
  loginSchema,
  seedBody,
  seedLoginBody,
  seedMfaVerifyBody,
  seedResponses,
} from './schemas.js';

const tags = ['customer-service realtime API (/auth, no prefix)'];
const security = [{ bearer: [] }];

function done(req: FastifyRequest, reply: FastifyReply, data: unknown, message: MessageKey = 'OK') {
  return reply.send({
    success: true,
    message: successMessage(message, localeOf(req)),
    data: data ?? null,
  });
}

/**
 * Seed 000's routes at the root, in its `{ success, message, data }` shape,
 * over the very same services as `/api` (login service, sessions and login
 * policy, audit, presence). Only the wire shapes differ.
 */
export function compatRoutes(
  d: { health: DependencyHealth },
  q: PresenceQueries,
  mfa: FeatureServices['mfa'],
) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    installSeedErrors(app, (dep, err) => d.health.failed(dep, err));

    app.post<{
      Body: {
        username: string;
        password: string;
        user_type?: string;
        device_id?: string;
        device_name?: string;
        captcha?: string;
        mfa_code?: string;
      };
    }>(
      '/auth/login',
      {
        schema: {
          operationId: 'customerServiceLogin',
          tags,
          summary: 'Customer-service login: {username, password, user_type}',
          body: seedLoginBody,
          response: seedResponses(loginSchema, LOGIN_ERRORS),
        },
      },
      async (req, reply) => {
        const b = req.body;
        const r = await req.tenantServices.auth.login(
          {
            username: b.username,
            password: b.password,
            user_type: b.user_type,
            captcha: b.captcha,
            mfa_code: b.mfa_code,
          },
          requestMeta(req, b),
        );
        const data = loginData(r.tokens, userView(r.user));
        // `token` also at the top level: the seed's own frontend reads `const { token } = await res.json()`.
        return reply.send({
          success: true,
          message: successMessage('LOGIN', localeOf(req)),
          token: data.token,
          data,
        });
      },
    );

    app.post<{ Body: { mfa_ticket: string; code: string; captcha?: string } }>(
      '/auth/mfa/verify',
      {
        schema: {
          operationId: 'customerServiceMfaVerify',
          tags,
          summary: 'Complete a login that answered MFA_REQUIRED: a TOTP or recovery code',
          body: seedMfaVerifyBody,
          response: seedResponses(loginSchema, [...LOGIN_ERRORS, 'MFA_TICKET_INVALID']),
        },
      },
      async (req, reply) => {
        const r = await mfa.complete(req.tenantServices, 'login', req.body, requestMeta(req));
        const data = loginData(r.tokens, userView(r.user));
        return reply.send({
          success: true,
          message: successMessage('LOGIN', localeOf(req)),
          token: data.token,
          data,
        });
      },
    );

    app.get(
      '/auth/validate',
      {
        config: { auth: 'jwt' },
        schema: {
          operationId: 'customerServiceValidate',
          tags,
          security,
          summary: 'The verified claims of the token and its user',
          response: seedResponses(seedBody(validateSchema), ['SESSION_ENDED']),
        },
      },
      async (req, reply) => done(req, reply, await q.validate(req.tenantServices, req.auth!)),
    );

    app.post(
      '/auth/logout',
      {
        config: { auth: 'jwt' },
        schema: {
          operationId: 'customerServiceLogout',
          tags,
          security,
          summary: 'End this session (its sockets get session_ended LOGGED_OUT)',
          response: seedResponses(seedBody({ type: 'null' }), []),
        },
      },
      async (req, reply) => {
        await req.tenantServices.auth.logout(req.auth!, requestMeta(req));
        return done(req, reply, null, 'LOGOUT');
      },
    );

    app.get<{ Querystring: { user_type?: string } }>(
      '/auth/online',
      {
        config: { auth: 'jwt', requires: 'presence:read' },
        schema: {
          operationId: 'customerServiceOnline',
          tags,
          security,
          summary: 'Users online now',
          querystring: onlineQuery,
          response: seedResponses(seedBody(onlineSchema), ['FORBIDDEN', 'UNAVAILABLE']),
        },
      },
      async (req, reply) =>
        done(req, reply, await q.online(req.tenantServices, req.auth!, req.query.user_type)),
    );

    app.post(
      '/auth/heartbeat',
      {
        config: { auth: 'jwt' },
        schema: {
          operationId: 'customerServiceHeartbeat',
          tags,
          security,
          summary: 'Keeps the caller online for one presence timeout',
          response: seedResponses(seedBody(heartbeatSchema), []),
        },
      },
      async (req, reply) => done(req, reply, q.heartbeat(req.auth!)),
    );
  };
}
