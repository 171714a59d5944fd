import type { Bus } from '../bus/bus.js';
import { DEFAULT_ROLES, type RoleDef } from './catalog.js';
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
        for (const r of DEFAULT_ROLES) await store.upsert(r);
        await reload();
      }
    },
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
