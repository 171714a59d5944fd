import type { Bus } from '../bus/bus.js';
import { defaultRoles, PERMISSIONS, type RoleDef } from './catalog.js';
import type { RoleStore } from './store.js';

const CHANNEL = 'roles';

/**
 * Role definitions held in memory on every node, so the permission check on a
 * protected request is a Set lookup. A change is written to SQL and broadcast;
 * every node reloads within the bus latency.
 */
export function createRoleService(
  store: RoleStore,
  bus: Bus,
  onError: (e: unknown) => void = () => {},
  /** Every permission a route may require: the core's and the features'. */
  catalogue: readonly string[] = PERMISSIONS,
) {
  let byName = new Map<string, RoleDef>();
  // Permission sets per `roles` claim value, memoised: tokens repeat few combinations.
  let scopeCache = new Map<string, ReadonlySet<string>>();

  async function reload(): Promise<void> {
    byName = new Map((await store.all()).map((r) => [r.name, r]));
    scopeCache = new Map();
  }

  const svc = {
    async start(): Promise<void> {
      // Subscribe first: a change another node makes during the load is not missed.
      bus.subscribe(CHANNEL, () => void reload().catch(onError));
      bus.onResync(() => void reload().catch(onError));
      await bus.ready?.();
      await reload();
      if (byName.size === 0) {
        for (const r of defaultRoles(catalogue)) await store.upsert(r);
        await reload();
      }
      // The built-in admin role holds every permission, a new feature's included.
      const admin = byName.get('admin');
      if (admin && !catalogue.every((p) => admin.permissions.includes(p))) {
        const all = [...new Set([...admin.permissions, ...catalogue])];
        // Two nodes starting together may race on this write; the loser reloads the winner's.
        let raced: unknown;
        await store.upsert({ ...admin, permissions: all }).catch((e: unknown) => (raced = e));
        await reload();
        const now = byName.get('admin');
        if (now && !catalogue.every((p) => now.permissions.includes(p)))
          throw new Error('could not grant the admin role its new permissions', { cause: raced });
      }
    },
    /** Every permission a route may require. */
    catalogue: (): readonly string[] => catalogue,
    list: (): RoleDef[] => [...byName.values()],
    get: (name: string): RoleDef | undefined => byName.get(name),
    /** Permissions granted by a list of role names (unknown roles grant nothing). */
    permissionsOf(roles: readonly string[]): ReadonlySet<string> {
      const key = roles.join(' ');
      let set = scopeCache.get(key);
      if (!set) {
        const s = new Set<string>();
        for (const r of roles) for (const p of byName.get(r)?.permissions ?? []) s.add(p);
        set = s;
        if (scopeCache.size > 10_000) scopeCache.clear();
        scopeCache.set(key, set);
      }
      return set;
    },
    /** The highest role (by level) and that level; `user`/0 when none. */
    primary(roles: readonly string[]): { role: string; level: number } {
      let best = { role: roles[0] ?? 'user', level: 0 };
      for (const r of roles) {
        const def = byName.get(r);
        if (def && def.level >= best.level) best = { role: r, level: def.level };
      }
      return best;
    },
    async save(role: RoleDef): Promise<void> {
      await store.upsert(role);
      await reload();
      await bus.publish(CHANNEL, { at: Date.now() });
    },
    holders: (name: string) => store.holders(name),
    async remove(name: string): Promise<boolean> {
      const ok = await store.remove(name);
      await reload();
      await bus.publish(CHANNEL, { at: Date.now() });
      return ok;
    },
    reload,
  };
  return svc;
}

export type RoleService = ReturnType<typeof createRoleService>;
