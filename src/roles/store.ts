import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { RoleDef } from './catalog.js';

export function createRoleStore(db: Kysely<Database>) {
  return {
    async all(): Promise<RoleDef[]> {
      const roles = await db
        .selectFrom('roles')
        .selectAll()
        .orderBy('level')
        .orderBy('name')
        .execute();
      const perms = await db.selectFrom('role_permissions').selectAll().execute();
      return roles.map((r) => ({
        name: r.name,
        level: r.level,
        description: r.description ?? '',
        permissions: perms
          .filter((p) => p.role === r.name)
          .map((p) => p.permission)
          .sort(),
      }));
    },
    async upsert(role: RoleDef): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const exists = await tx
          .selectFrom('roles')
          .select('name')
          .where('name', '=', role.name)
          .executeTakeFirst();
        if (exists)
          await tx
            .updateTable('roles')
            .set({ level: role.level, description: role.description })
            .where('name', '=', role.name)
            .execute();
        else
          await tx
            .insertInto('roles')
            .values({ name: role.name, level: role.level, description: role.description })
            .execute();
        await tx.deleteFrom('role_permissions').where('role', '=', role.name).execute();
        if (role.permissions.length) {
          await tx
            .insertInto('role_permissions')
            .values(role.permissions.map((permission) => ({ role: role.name, permission })))
            .execute();
        }
      });
    },
    /** Ids of the users that hold the role. */
    holders: async (name: string): Promise<number[]> =>
      (await db.selectFrom('user_roles').select('user_id').where('role', '=', name).execute()).map(
        (r) => r.user_id,
      ),
    /** Removes the role, its grants and its holders' assignments, in one transaction. */
    async remove(name: string): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        await tx.deleteFrom('role_permissions').where('role', '=', name).execute();
        await tx.deleteFrom('user_roles').where('role', '=', name).execute();
        const r = await tx.deleteFrom('roles').where('name', '=', name).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },
  };
}

export type RoleStore = ReturnType<typeof createRoleStore>;
