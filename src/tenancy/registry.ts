import type { Kysely } from 'kysely';
import type { Bus } from '../bus/bus.js';
import { DEFAULT_TENANT, asTenantId, type TenantId } from '../db/scope.js';
import type { Database, TenantsTable } from '../db/types.js';
import type { Clock } from '../lib/clock.js';

const CHANNEL = 'tenants';

export interface Tenant {
  id: TenantId;
  name: string;
  status: 'active' | 'disabled';
  createdAt: number;
  updatedAt: number;
}

const toTenant = (r: TenantsTable): Tenant => ({
  id: r.id as TenantId,
  name: r.name,
  status: r.status === 'disabled' ? 'disabled' : 'active',
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * The tenants of the deployment: every node holds the table in memory (one
 * short row per tenant) so resolving a request's tenant is a map lookup,
 * and reloads it when any node announces a change. The default tenant
 * always exists and is always active.
 */
export function createTenantRegistry(
  db: Kysely<Database>,
  bus: Bus,
  clock: Clock,
  onError: (e: unknown) => void = () => {},
) {
  let byId = new Map<string, Tenant>();
  const listeners = new Set<(before: Map<string, Tenant>, after: Map<string, Tenant>) => void>();

  async function reload(): Promise<void> {
    const rows = await db.selectFrom('tenants').selectAll().execute();
    const next = new Map(rows.map((r) => [r.id, toTenant(r)]));
    const before = byId;
    byId = next;
    for (const l of listeners) l(before, next);
  }
  const announce = () => bus.publish(CHANNEL, { at: clock.now() });

  return {
    async start(): Promise<void> {
      bus.subscribe(CHANNEL, () => void reload().catch(onError));
      bus.onResync(() => void reload().catch(onError));
      await bus.ready?.();
      await reload();
    },
    reload,
    /** An active tenant by id, or undefined (unknown, disabled or malformed). */
    active(raw: string): TenantId | undefined {
      const id = raw === DEFAULT_TENANT ? DEFAULT_TENANT : asTenantId(raw);
      if (!id) return undefined;
      if (id === DEFAULT_TENANT) return id;
      const t = byId.get(id);
      return t?.status === 'active' ? t.id : undefined;
    },
    get: (id: string): Tenant | undefined => byId.get(id),
    list: (): Tenant[] => [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)),
    /** Called after each reload with the tenants before and after. */
    onChange(fn: (before: Map<string, Tenant>, after: Map<string, Tenant>) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async create(id: TenantId, name: string): Promise<Tenant | undefined> {
      const now = clock.now();
      const r = await db
        .insertInto('tenants')
        .values({ id, name, status: 'active', created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!r) return undefined;
      await reload();
      await announce();
      return byId.get(id);
    },
    async update(
      id: TenantId,
      patch: { name?: string | undefined; status?: 'active' | 'disabled' | undefined },
    ): Promise<Tenant | undefined> {
      if (id === DEFAULT_TENANT && patch.status === 'disabled')
        throw new Error('the default tenant cannot be disabled');
      const set = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        updated_at: clock.now(),
      };
      const r = await db.updateTable('tenants').set(set).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      await reload();
      await announce();
      return byId.get(id);
    },
    /** Removes the tenant's row (its data goes first: see tenants/purge.ts). */
    async remove(id: TenantId): Promise<boolean> {
      if (id === DEFAULT_TENANT) throw new Error('the default tenant cannot be deleted');
      const r = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
      await reload();
      await announce();
      return Number(r.numDeletedRows) > 0;
    },
  };
}

export type TenantRegistry = ReturnType<typeof createTenantRegistry>;
