import type { UserService } from '../users/service.js';
import { DEFAULT_TENANT, asTenantId, type TenantId } from '../db/scope.js';
import type { Audit } from '../audit/audit.js';
import type { Dialect } from '../db/types.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { fail } from '../lib/errors.js';
import { purgeTenant } from './purge.js';
import type { Tenant, TenantRegistry } from '../tenancy/registry.js';

export interface NewTenant {
  id: string;
  name: string;
  /** The tenant's first administrator (role `admin` in that tenant). */
  adminUsername?: string | undefined;
  adminPassword?: string | undefined;
}

/** Who did it, for the audit row in the default tenant's trail. */
export interface TenantActor {
  actorId?: number | null;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * The rules of tenant administration, for the super-admins of the default
 * tenant: create (with a first admin), rename, disable, delete with every
 * row removed in batches. The default tenant can be neither disabled nor
 * deleted.
 */
export function createTenantService(d: {
  registry: TenantRegistry;
  tenantCore: (t: TenantId) => Promise<{ users: UserService }>;
  /** Every tenant's rows, for the purge. */
  all: Kysely<Database>;
  dialect: Dialect;
  /** The default tenant's audit trail (where tenant administration is recorded). */
  audit: Audit;
}) {
  const known = (raw: string): TenantId => {
    const id = asTenantId(raw);
    if (!id || !d.registry.get(id)) fail('NOT_FOUND');
    return id;
  };
  const record = (event: string, id: string, actor: TenantActor, data?: Record<string, unknown>) =>
    d.audit.record({
      event: `admin.tenant.${event}`,
      outcome: 'success',
      ...actor,
      data: { tenant: id, ...data },
    });

  return {
    list: (): Tenant[] => d.registry.list(),
    get: (raw: string): Tenant => d.registry.get(known(raw))!,
    async create(t: NewTenant, actor: TenantActor): Promise<Tenant> {
      const id = asTenantId(t.id);
      if (!id)
        fail('VALIDATION_FAILED', {
          detail: 'id: lower-case letters, digits and inner hyphens, 1 to 63 characters',
        });
      if ((t.adminUsername === undefined) !== (t.adminPassword === undefined))
        fail('VALIDATION_FAILED', { detail: 'admin_username and admin_password go together' });
      const made = await d.registry.create(id, t.name);
      if (!made) fail('TENANT_EXISTS');
      try {
        // Built now, so its signing key is generated here and not on its first request.
        const tc = await d.tenantCore(id);
        if (t.adminUsername !== undefined)
          await tc.users.create({
            username: t.adminUsername,
            password: t.adminPassword!,
            roles: ['admin'],
          });
      } catch (e) {
        // No half-made tenant: without its admin (or its keys) it goes again, rows and all.
        await purgeTenant(d.all, d.dialect, id);
        await d.registry.remove(id);
        throw e;
      }
      record('create', id, actor, { name: t.name, admin: t.adminUsername ?? null });
      return made;
    },
    async update(
      raw: string,
      patch: { name?: string | undefined; status?: 'active' | 'disabled' | undefined },
      actor: TenantActor,
    ): Promise<Tenant> {
      const id = known(raw);
      if (id === DEFAULT_TENANT && patch.status === 'disabled')
        fail('VALIDATION_FAILED', { detail: 'the default tenant cannot be disabled' });
      const t = await d.registry.update(id, patch);
      if (!t) fail('NOT_FOUND');
      record('update', id, actor, { ...patch });
      return t;
    },
    /** Disables the tenant at once (every node refuses it), then removes its rows in batches. */
    async remove(raw: string, actor: TenantActor): Promise<Record<string, number>> {
      const id = known(raw);
      if (id === DEFAULT_TENANT)
        fail('VALIDATION_FAILED', { detail: 'the default tenant cannot be deleted' });
      await d.registry.update(id, { status: 'disabled' });
      const removed = await purgeTenant(d.all, d.dialect, id);
      await d.registry.remove(id);
      record('delete', id, actor, { removed });
      return removed;
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
