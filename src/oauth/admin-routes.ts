import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { servesTenants } from '../contract/tenant-routes.js';
import {
  definitionBody,
  definitionUpdateBody,
  providerData,
  providerParams,
  providersData,
} from './schemas.js';
import type { OAuthAdmin } from './admin.js';

const tags = ['external identity providers'];
const security = [{ bearer: [] }];
export const PROVIDERS_PERMISSION = 'identity-providers:manage';

/** A tenant's identity providers, managed by its administrators (client secrets sealed, never answered). */
export function oauthAdminRoutes(admin: OAuthAdmin) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const config = { auth: 'jwt' as const, requires: PROVIDERS_PERMISSION };

    app.get(
      '/admin/identity-providers',
      {
        config,
        schema: {
          tags,
          security,
          summary: "The tenant's identity providers (configured and managed)",
          response: responses({ 200: envelope(providersData) }),
        },
      },
      async (req, reply) => ok(req, reply, { items: await admin.list(req.tenant) }),
    );

    app.get<{ Params: { provider: string } }>(
      '/admin/identity-providers/:provider',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'One identity provider',
          params: providerParams,
          response: responses({ 200: envelope(providerData) }, ['OAUTH_PROVIDER_UNKNOWN']),
        },
      },
      async (req, reply) => ok(req, reply, await admin.get(req.tenant, req.params.provider)),
    );

    app.post<{ Body: Record<string, unknown> }>(
      '/admin/identity-providers',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Add an identity provider to the tenant',
          body: definitionBody,
          response: responses({ 201: envelope(providerData) }, ['OAUTH_PROVIDER_EXISTS']),
        },
      },
      async (req, reply) =>
        ok(req, reply, await admin.create(req.tenant, req.body, req.auth!), { status: 201 }),
    );

    app.put<{ Params: { provider: string }; Body: Record<string, unknown> }>(
      '/admin/identity-providers/:provider',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Replace an identity provider (omit client_secret to keep it)',
          params: providerParams,
          body: definitionUpdateBody,
          response: responses({ 200: envelope(providerData) }, ['OAUTH_PROVIDER_UNKNOWN']),
        },
      },
      async (req, reply) =>
        ok(req, reply, await admin.update(req.tenant, req.params.provider, req.body, req.auth!)),
    );

    app.delete<{ Params: { provider: string } }>(
      '/admin/identity-providers/:provider',
      {
        config,
        schema: {
          tags,
          security,
          summary:
            'Remove an identity provider (identities linked through it stay, unusable until it is back)',
          params: providerParams,
          response: responses({ 200: envelope() }, ['OAUTH_PROVIDER_UNKNOWN']),
        },
      },
      async (req, reply) => {
        await admin.remove(req.tenant, req.params.provider, req.auth!);
        return ok(req, reply, null);
      },
    );
  };
}
