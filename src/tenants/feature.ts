import type { Feature } from '../feature/contract.js';
import { tenantRoutes } from './routes.js';
import { createTenantService } from './service.js';

declare module '../feature/contract.js' {
  interface FeatureServices {
    tenantAdmin: ReturnType<typeof createTenantService>;
  }
}

/**
 * Tenant administration (`<ctx>/admin/tenants`) for the super-admins of the
 * default tenant. Resolution, scopes and per-tenant services are the
 * core's (src/http/tenant.ts, src/db/scope.ts, src/app/core.ts).
 */
export const tenantsFeature: Feature = {
  name: 'tenants',
  permissions: ['tenants:manage'],
  start({ core }) {
    const svc = createTenantService({
      registry: core.tenants,
      tenantCore: core.tenantCore,
      all: core.sql.all('deleting a tenant removes its rows from every table'),
      dialect: core.db.dialect,
      audit: core.audit,
    });
    return { provides: { tenantAdmin: svc }, routes: () => [{ api: tenantRoutes(svc) }] };
  },
};
