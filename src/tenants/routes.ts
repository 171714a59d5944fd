import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { actorMeta } from '../contract/request-meta.js';
import type { TenantService } from './service.js';
import type { Tenant } from '../tenancy/registry.js';

const tags = ['admin: tenants'];
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 63 } },
} as const;
const tenantData = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['active', 'disabled'] },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
  },
} as const;
const view = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  status: t.status,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

/**
 * `<ctx>/admin/tenants`: for super-admins, the admins of the default tenant
 * (permission tenants:manage). These routes do not serve other tenants, so
 * a tenant's own admin never reaches them (404).
 */
export function tenantRoutes(svc: TenantService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    const config = { auth: 'jwt', requires: 'tenants:manage' } as const;
    app.get(
      '/admin/tenants',
      {
        config,
        schema: {
          tags,
          security: [{ bearer: [] }],
          summary: 'Every tenant of the deployment',
          response: responses({
            200: envelope({
              type: 'object',
              properties: { items: { type: 'array', items: tenantData } },
            }),
          }),
        },
      },
      async (req, reply) => ok(req, reply, { items: svc.list().map(view) }),
    );
    app.post<{
      Body: { id: string; name: string; admin_username?: string; admin_password?: string };
    }>(
      '/admin/tenants',
      {
        config,
        schema: {
          tags,
          security: [{ bearer: [] }],
          summary: 'Create a tenant, optionally with its first admin',
          body: {
            type: 'object',
            examples: [
              {
                id: 'acme',
                name: 'Acme Corp',
                admin_username: 'acme-admin',
                admin_password: 'a-long-random-passphrase',
              },
            ],
            required: ['id', 'name'],
            additionalProperties: false,
            properties: {
              id: { type: 'string', minLength: 1, maxLength: 63 },
              name: { type: 'string', minLength: 1, maxLength: 200 },
              admin_username: { type: 'string', minLength: 1, maxLength: 64 },
              admin_password: { type: 'string', minLength: 1, maxLength: 1024 },
            },
          },
          response: responses({ 201: envelope(tenantData) }, [
            'TENANT_EXISTS',
            'PASSWORD_WEAK',
            'USER_EXISTS',
          ]),
        },
      },
      async (req, reply) => {
        const t = await svc.create(
          {
            id: req.body.id,
            name: req.body.name,
            adminUsername: req.body.admin_username,
            adminPassword: req.body.admin_password,
          },
          actorMeta(req),
        );
        return ok(req, reply, view(t), { status: 201 });
      },
    );
    app.get<{ Params: { id: string } }>(
      '/admin/tenants/:id',
      {
        config,
        schema: {
          tags,
          security: [{ bearer: [] }],
          summary: 'One tenant',
          params: idParam,
          response: responses({ 200: envelope(tenantData) }, ['NOT_FOUND']),
        },
      },
      async (req, reply) => ok(req, reply, view(svc.get(req.params.id))),
    );
    app.patch<{ Params: { id: string }; Body: { name?: string; status?: 'active' | 'disabled' } }>(
      '/admin/tenants/:id',
      {
        config,
        schema: {
          tags,
          security: [{ bearer: [] }],
          summary:
            'Rename, disable or enable a tenant (a disabled tenant answers 404 TENANT_NOT_FOUND)',
          params: idParam,
          body: {
            type: 'object',
            examples: [{ status: 'disabled' }],
            additionalProperties: false,
            minProperties: 1,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              status: { type: 'string', enum: ['active', 'disabled'] },
            },
          },
          response: responses({ 200: envelope(tenantData) }, ['NOT_FOUND']),
        },
      },
      async (req, reply) =>
        ok(req, reply, view(await svc.update(req.params.id, req.body, actorMeta(req)))),
    );
    app.delete<{ Params: { id: string } }>(
      '/admin/tenants/:id',
      {
        config,
        schema: {
          tags,
          security: [{ bearer: [] }],
          summary: 'Delete a tenant and every row it owns (in batches)',
          params: idParam,
          response: responses(
            {
              200: envelope({
                type: 'object',
                properties: {
                  removed: { type: 'object', additionalProperties: { type: 'integer' } },
                },
              }),
            },
            ['NOT_FOUND'],
          ),
        },
      },
      async (req, reply) =>
        ok(req, reply, { removed: await svc.remove(req.params.id, actorMeta(req)) }),
    );
  };
}
