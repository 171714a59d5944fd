import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';

/** A tenant's issuer: `<issuer>/t/<tenant>`, or the plain issuer for the default tenant (its tokens are unchanged). */
export function tenantIssuer(issuer: string, tenant: TenantId): string {
  return tenant === DEFAULT_TENANT ? issuer : `${issuer.replace(/\/+$/, '')}/t/${tenant}`;
}

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Per-tenant state, built on a tenant's first request and kept for the
 * most recently used `max` tenants: a thousand tenants cost no timer,
 * process or connection each, and memory stays bounded. A tenant dropped
 * from the cache is stopped (its bus subscriptions go) and built again on
 * its next request. Concurrent first requests share one build; a build
 * that fails is not kept.
 */
export function createTenantCache<T extends Stoppable>(
  build: (tenant: TenantId) => Promise<T>,
  max: number,
) {
  const entries = new Map<TenantId, Promise<T>>();
  const pinned = new Set<TenantId>([DEFAULT_TENANT]);

  function touch(t: TenantId, p: Promise<T>) {
    entries.delete(t);
    entries.set(t, p);
    while (entries.size > Math.max(1, max) + pinned.size) {
      const oldest = [...entries.keys()].find((k) => !pinned.has(k));
      if (oldest === undefined) break;
      const gone = entries.get(oldest)!;
      entries.delete(oldest);
      void gone.then((x) => x.stop()).catch(() => {});
    }
  }

  return {
    get(t: TenantId): Promise<T> {
      let p = entries.get(t);
      if (!p) {
        p = build(t);
        p.catch(() => {
          if (entries.get(t) === p) entries.delete(t);
        });
      }
      touch(t, p);
      return p;
    },
    /** Keeps an already built tenant (the default one, built at start), never evicted. */
    put(t: TenantId, value: T) {
      pinned.add(t);
      touch(t, Promise.resolve(value));
    },
    /** Drops a tenant (disabled or deleted): the next request builds it again or is refused. */
    forget(t: TenantId) {
      const p = entries.get(t);
      if (!p || pinned.has(t)) return;
      entries.delete(t);
      void p.then((x) => x.stop()).catch(() => {});
    },
    size: () => entries.size,
    /** The tenants built on this node (those whose build failed are left out). */
    async loaded(): Promise<T[]> {
      const all = await Promise.allSettled([...entries.values()]);
      return all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    },
    async close() {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((p) => p.then((x) => x.stop()).catch(() => {})));
    },
  };
}
