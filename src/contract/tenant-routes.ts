import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route serves every tenant through `req.tenantServices`. Routes that
     * do not say so answer 404 to any tenant but the default one: a route is
     * never reached with another tenant's request and the default's services.
     */
    tenants?: boolean;
  }
}
// `req.tenant` and `req.tenantServices` are declared with the hook that sets them (src/http/tenant.ts).

/**
 * Marks every route registered after it in this plugin as serving every
 * tenant: its handlers must take their services from `req.tenantServices`.
 */
export function servesTenants(app: FastifyInstance): void {
  app.addHook('onRoute', (o) => {
    o.config = { ...(o.config ?? {}), tenants: true };
  });
}
