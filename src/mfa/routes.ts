import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tokenPair } from '../auth/schemas.js';
import { envelope, LOGIN_ERRORS, ok, responses } from '../contract/reply.js';
import { actorMeta, requestMeta } from '../contract/request-meta.js';
import { servesTenants } from '../contract/tenant-routes.js';
import {
  confirmBody,
  confirmData,
  disableBody,
  enrollBody,
  enrollData,
  statusData,
  ticketConfirmData,
  ticketEnrollBody,
  userIdParams,
  verifyBody,
} from './schemas.js';
import type { MfaService } from './service.js';

const tags = ['second factor'];
const security = [{ bearer: [] }];
export const MFA_RESET_PERMISSION = 'mfa:reset';

/** The second factor (API.md "Second factor"): self-service, the login's second step, the admin reset. */
export function mfaRoutes(mfa: MfaService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const me = (req: FastifyRequest) => Number(req.auth!.sub);
    const facts = (req: FastifyRequest) => {
      const m = requestMeta(req);
      return { ip: m.ip, userAgent: m.userAgent, deviceId: m.deviceId ?? null };
    };

    app.post<{ Body: { current_password: string } }>(
      '/auth/mfa/totp/enroll',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Start a TOTP factor (not active until confirmed with a first code)',
          body: enrollBody,
          response: responses({ 200: envelope(enrollData) }, [
            'MFA_ALREADY_ENROLLED',
            'INVALID_CREDENTIALS',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) =>
        ok(
          req,
          reply,
          await mfa.enroll(req.tenantServices, me(req), req.body.current_password, facts(req)),
        ),
    );

    app.post<{ Body: { code: string } }>(
      '/auth/mfa/totp/confirm',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Activate the TOTP factor with a first code; answers the recovery codes once',
          body: confirmBody,
          response: responses({ 200: envelope(confirmData) }, [
            'MFA_NOT_ENROLLED',
            'MFA_ALREADY_ENROLLED',
            'MFA_INVALID',
            'MFA_CODE_REUSED',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) => {
        const codes = await mfa.confirm(req.tenantServices, me(req), req.body.code, facts(req));
        return ok(req, reply, { recovery_codes: codes });
      },
    );

    app.delete<{ Body: { current_password?: string; code?: string } }>(
      '/auth/mfa/totp',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Turn the TOTP factor off, behind the current password or a code',
          body: disableBody,
          response: responses({ 200: envelope() }, [
            'MFA_NOT_ENROLLED',
            'INVALID_CREDENTIALS',
            'MFA_INVALID',
            'MFA_CODE_REUSED',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) => {
        await mfa.disable(req.tenantServices, me(req), req.body, facts(req));
        return ok(req, reply, null);
      },
    );

    app.get(
      '/auth/mfa',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Which second factors are on, and how many recovery codes are left',
          response: responses({ 200: envelope(statusData) }),
        },
      },
      async (req, reply) => ok(req, reply, await mfa.status(req.tenantServices, me(req))),
    );

    app.post<{ Body: { mfa_ticket: string; code: string; captcha?: string } }>(
      '/public/auth/mfa/verify',
      {
        schema: {
          tags,
          summary: 'Complete a login that answered MFA_REQUIRED: a TOTP or recovery code',
          body: verifyBody,
          response: responses({ 200: envelope(tokenPair) }, [
            ...LOGIN_ERRORS,
            'MFA_TICKET_INVALID',
          ]),
        },
      },
      async (req, reply) => {
        const r = await mfa.complete(req.tenantServices, 'login', req.body, requestMeta(req));
        return ok(req, reply, r.tokens, { message: 'LOGIN' });
      },
    );

    app.post<{ Body: { mfa_ticket: string } }>(
      '/public/auth/mfa/totp/enroll',
      {
        schema: {
          tags,
          summary:
            'Forced enrolment: start the TOTP factor a login answered MFA_ENROLL_REQUIRED for',
          body: ticketEnrollBody,
          response: responses({ 200: envelope(enrollData) }, [
            'MFA_TICKET_INVALID',
            'MFA_ALREADY_ENROLLED',
            'RATE_LIMITED',
          ]),
        },
      },
      async (req, reply) => {
        const t = await mfa.openTicket(req.tenant, req.body.mfa_ticket, 'enroll');
        return ok(req, reply, await mfa.enroll(req.tenantServices, t.user_id, null, facts(req)));
      },
    );

    app.post<{ Body: { mfa_ticket: string; code: string; captcha?: string } }>(
      '/public/auth/mfa/totp/confirm',
      {
        schema: {
          tags,
          summary:
            'Forced enrolment: activate the factor with a first code; completes the login (tokens and the recovery codes, once)',
          body: verifyBody,
          response: responses({ 200: envelope(ticketConfirmData) }, [
            ...LOGIN_ERRORS,
            'MFA_TICKET_INVALID',
            'MFA_NOT_ENROLLED',
            'MFA_ALREADY_ENROLLED',
          ]),
        },
      },
      async (req, reply) => {
        const r = await mfa.complete(req.tenantServices, 'enroll', req.body, requestMeta(req));
        return ok(req, reply, { ...r.tokens, ...r.answer }, { message: 'LOGIN' });
      },
    );

    app.delete<{ Params: { id: number } }>(
      '/admin/users/:id/mfa',
      {
        config: { auth: 'jwt', requires: MFA_RESET_PERMISSION },
        schema: {
          tags: ['admin: users'],
          security,
          summary:
            "Reset a user's second factor (lost device): the factor and its recovery codes go",
          params: userIdParams,
          response: responses({ 200: envelope() }, ['NOT_FOUND', 'MFA_NOT_ENROLLED']),
        },
      },
      async (req, reply) => {
        await mfa.reset(req.tenantServices, req.params.id, actorMeta(req));
        return ok(req, reply, null);
      },
    );
  };
}
