import type { FastifyInstance, FastifyRequest } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { requestMeta } from '../contract/request-meta.js';
import { servesTenants } from '../contract/tenant-routes.js';
import type { Credentials, Origin } from './service.js';

const tags = ['password and e-mail'];
const security = [{ bearer: [] }];
const str = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
const tokenBody = (extra: Record<string, object> = {}) => ({
  type: 'object',
  required: ['token', ...Object.keys(extra)],
  additionalProperties: false,
  properties: { token: str(256), ...extra },
});

function origin(req: FastifyRequest): Origin {
  const lang = req.headers['accept-language'];
  return { ...requestMeta(req), locale: typeof lang === 'string' ? lang.slice(0, 64) : null };
}

/** Anonymous routes under `<ctx>/public/auth`: reset request, reset, e-mail proof. */
export function publicCredentialRoutes(creds: Credentials) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const of = (req: FastifyRequest) => creds.forTenant(req.tenantServices);

    app.post<{ Body: { login: string } }>(
      '/password/forgot',
      {
        schema: {
          tags,
          summary:
            'Ask for a password-reset link by username or e-mail; the same answer whether or not the account exists',
          body: {
            type: 'object',
            examples: [{ login: 'alice@example.com' }],
            required: ['login'],
            additionalProperties: false,
            properties: { login: str(254) },
          },
          response: responses({ 202: envelope() }, ['RATE_LIMITED']),
        },
      },
      async (req, reply) => {
        await of(req).forgot(req.body.login, origin(req));
        return ok(req, reply, null, { status: 202, message: 'RESET_REQUESTED' });
      },
    );

    app.post<{ Body: { token: string; new_password: string } }>(
      '/password/reset',
      {
        schema: {
          tags,
          summary: 'Set a new password with the token of a reset mail; every session ends',
          body: {
            ...tokenBody({ new_password: str(1024) }),
            examples: [{ token: 'rst_4b5c6d…', new_password: 'another long passphrase' }],
          },
          response: responses({ 200: envelope() }, [
            'TOKEN_INVALID',
            'TOKEN_EXPIRED',
            'PASSWORD_WEAK',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) => {
        await of(req).reset(req.body.token, req.body.new_password, origin(req));
        return ok(req, reply, null, { message: 'PASSWORD_RESET' });
      },
    );

    app.post<{ Body: { token: string } }>(
      '/email/verify',
      {
        schema: {
          tags,
          summary: 'Prove an e-mail address with the token of a verification mail',
          body: { ...tokenBody(), examples: [{ token: 'evt_7e8f9a…' }] },
          response: responses({ 200: envelope() }, [
            'TOKEN_INVALID',
            'TOKEN_EXPIRED',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) => {
        await of(req).verifyEmail(req.body.token, origin(req));
        return ok(req, reply, null, { message: 'EMAIL_VERIFIED' });
      },
    );
  };
}

/** The caller's own credentials under `<ctx>/auth`: password change, a new verification mail. */
export function accountCredentialRoutes(creds: Credentials) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const of = (req: FastifyRequest) => creds.forTenant(req.tenantServices);

    app.post<{ Body: { current_password: string; new_password: string } }>(
      '/password',
      {
        config: { auth: 'jwt', ipRateLimit: 'password-change' },
        schema: {
          tags,
          security,
          summary: 'Change the password; every other session ends',
          body: {
            type: 'object',
            examples: [
              {
                current_password: 'correct horse battery staple',
                new_password: 'another long passphrase',
              },
            ],
            required: ['current_password', 'new_password'],
            additionalProperties: false,
            properties: { current_password: str(1024), new_password: str(1024) },
          },
          response: responses({ 200: envelope() }, [
            'INVALID_CREDENTIALS',
            'PASSWORD_WEAK',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) => {
        const me = req.auth!;
        await of(req).changePassword(
          Number(me.sub),
          me.sid,
          req.body.current_password,
          req.body.new_password,
          origin(req),
        );
        return ok(req, reply, null, { message: 'PASSWORD_CHANGED' });
      },
    );

    app.post(
      '/email/verification',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: "Send a new verification mail to the caller's e-mail address",
          response: responses({ 202: envelope() }, ['CONFLICT', 'RATE_LIMITED']),
        },
      },
      async (req, reply) => {
        await of(req).resendVerification(Number(req.auth!.sub), origin(req));
        return ok(req, reply, null, { status: 202, message: 'VERIFICATION_SENT' });
      },
    );
  };
}
