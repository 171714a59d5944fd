import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tokenPair } from '../auth/schemas.js';
import { envelope, LOGIN_ERRORS, ok, responses } from '../contract/reply.js';
import { requestMeta } from '../contract/request-meta.js';
import { servesTenants } from '../contract/tenant-routes.js';
import {
  bindBody,
  bindData,
  callbackQuery,
  confirmBody,
  identitiesData,
  providerParams,
  publicProvidersData,
  startQuery,
  tokenBody,
} from './schemas.js';
import type { OAuthService } from './service.js';

const tags = ['external identity providers'];
const security = [{ bearer: [] }];
const redirect = { 302: { description: 'Redirect (Location)', type: 'null' } };

type Start = { return_to?: string; state?: string };
type Device = { device_id?: string; device_name?: string };

/** Sign-in with external providers and account linking (docs/api.md "External identity providers"). */
export function oauthRoutes(oauth: OAuthService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const me = (req: FastifyRequest) => Number(req.auth!.sub);
    const actor = (req: FastifyRequest) => {
      const m = requestMeta(req);
      return { actorId: me(req), ip: m.ip, userAgent: m.userAgent, deviceId: m.deviceId ?? null };
    };

    app.get(
      '/public/auth/oauth/providers',
      {
        schema: {
          tags,
          summary: "The tenant's identity providers, for a sign-in page",
          response: responses({ 200: envelope(publicProvidersData) }),
        },
      },
      async (req, reply) => {
        const items = (await oauth.providers(req.tenant)).map((p) => ({
          name: p.name,
          display_name: p.display_name,
          kind: p.kind,
        }));
        return ok(req, reply, { items });
      },
    );

    app.get<{ Params: { provider: string }; Querystring: Start }>(
      '/public/auth/oauth/:provider/start',
      {
        schema: {
          tags,
          summary:
            'Start a sign-in at a provider: 302 to it (authorization code, PKCE S256, state, nonce)',
          params: providerParams,
          querystring: startQuery,
          response: responses(redirect, [
            'OAUTH_PROVIDER_UNKNOWN',
            'OAUTH_RETURN_URL_INVALID',
            'RATE_LIMITED',
            'OAUTH_PROVIDER_FAILED',
            'OAUTH_PROVIDER_TIMEOUT',
          ]),
        },
      },
      async (req, reply) => {
        const url = await oauth.start(req.tenant, req.params.provider, req.ip, {
          returnUrl: req.query.return_to,
          appState: req.query.state,
          mode: 'login',
          userId: null,
        });
        return reply.redirect(url, 302);
      },
    );

    app.get<{ Params: { provider: string }; Querystring: Record<string, string> }>(
      '/public/auth/oauth/:provider/callback',
      {
        schema: {
          tags,
          summary:
            "The provider's redirect: 302 to the application with `code` (or `linked`, or `error`)",
          params: providerParams,
          querystring: callbackQuery,
          response: responses(redirect, ['OAUTH_PROVIDER_UNKNOWN', 'OAUTH_STATE_INVALID']),
        },
      },
      async (req, reply) => {
        const url = await oauth.callback(
          req.tenantServices,
          req.params.provider,
          req.query,
          requestMeta(req),
        );
        return reply.redirect(url, 302);
      },
    );

    app.post<{ Body: { code: string } & Device }>(
      '/public/auth/oauth/token',
      {
        schema: {
          tags,
          summary:
            'Exchange the one-time code of the return URL for the login token pair (or a challenge: MFA_REQUIRED, IDENTITY_CONFIRM_REQUIRED)',
          body: tokenBody,
          response: responses({ 200: envelope(tokenPair) }, [
            'OAUTH_CODE_INVALID',
            'OAUTH_PROVIDER_UNKNOWN',
            'OAUTH_SIGNUP_DISABLED',
            'IDENTITY_CONFIRM_REQUIRED',
            ...LOGIN_ERRORS,
          ]),
        },
      },
      async (req, reply) => {
        const r = await oauth.exchange(
          req.tenantServices,
          req.body.code,
          requestMeta(req, req.body),
        );
        return ok(req, reply, r.tokens, { message: 'LOGIN' });
      },
    );

    app.post<{
      Body: { link_ticket: string; password: string; mfa_code?: string; captcha?: string } & Device;
    }>(
      '/public/auth/oauth/link/confirm',
      {
        schema: {
          tags,
          summary:
            "Complete IDENTITY_CONFIRM_REQUIRED: the existing account's password (and code) links the identity and logs in",
          body: confirmBody,
          response: responses({ 200: envelope(tokenPair) }, [
            'IDENTITY_LINK_TICKET_INVALID',
            'IDENTITY_IN_USE',
            'OAUTH_PROVIDER_UNKNOWN',
            ...LOGIN_ERRORS,
          ]),
        },
      },
      async (req, reply) => {
        const r = await oauth.confirmLink(req.tenantServices, req.body, requestMeta(req, req.body));
        return ok(req, reply, r.tokens, { message: 'LOGIN' });
      },
    );

    app.get(
      '/auth/identities',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: "The caller's linked external identities",
          response: responses({ 200: envelope(identitiesData) }),
        },
      },
      async (req, reply) =>
        ok(req, reply, { items: await oauth.list(req.tenantServices, me(req)) }),
    );

    app.post<{ Params: { provider: string }; Body: Start | undefined }>(
      '/auth/identities/:provider',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary:
            'Bind a provider: the URL to send the browser to (the callback links it to the caller)',
          params: providerParams,
          body: bindBody,
          response: responses({ 200: envelope(bindData) }, [
            'OAUTH_PROVIDER_UNKNOWN',
            'OAUTH_RETURN_URL_INVALID',
            'RATE_LIMITED',
            'OAUTH_PROVIDER_FAILED',
            'OAUTH_PROVIDER_TIMEOUT',
          ]),
        },
      },
      async (req, reply) => {
        const url = await oauth.start(req.tenant, req.params.provider, req.ip, {
          returnUrl: req.body?.return_to,
          appState: req.body?.state,
          mode: 'link',
          userId: me(req),
        });
        return ok(req, reply, { authorization_url: url });
      },
    );

    app.delete<{ Params: { provider: string } }>(
      '/auth/identities/:provider',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Unbind a provider (refused when it is the last way to log in)',
          params: providerParams,
          response: responses({ 200: envelope() }, [
            'OAUTH_PROVIDER_UNKNOWN',
            'NOT_FOUND',
            'LAST_LOGIN_METHOD',
          ]),
        },
      },
      async (req, reply) => {
        await oauth.unlink(req.tenantServices, me(req), req.params.provider, actor(req));
        return ok(req, reply, null);
      },
    );
  };
}
