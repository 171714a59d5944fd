import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Database, UsersTable } from '../db/types.js';

export type UserRow = Selectable<UsersTable>;
/** A new user row (the id is generated). */
export type NewUser = Omit<Insertable<UsersTable>, 'id'>;

type Q = Kysely<Database> | Transaction<Database>;

/** SQL access to users and their roles. Both dialects. */
export function createUserStore(db: Kysely<Database>) {
  // Read on every login and refresh: compiled once (see db/prepared.ts).
  const userById = prepared((id: number) =>
    db.selectFrom('users').selectAll().where('id', '=', id),
  );
  const rolesOf = prepared((id: number) =>
    db.selectFrom('user_roles').select('role').where('user_id', '=', id).orderBy('role'),
  );
  return {
    async insert(u: NewUser, roles: string[], q: Q = db): Promise<number> {
      const row = await q.insertInto('users').values(u).returning('id').executeTakeFirstOrThrow();
      if (roles.length)
        await q
          .insertInto('user_roles')
          .values(roles.map((role) => ({ user_id: row.id, role })))
          .execute();
      return row.id;
    },
    byId: (id: number, q: Q = db) => userById.first(q, id),
    /** By username key, or by e-mail key (seed 001 logs in with an e-mail as username). */
    byLogin: (key: string, q: Q = db) =>
      q
        .selectFrom('users')
        .selectAll()
        .where((eb) => eb.or([eb('username_key', '=', key), eb('email_key', '=', key)]))
        .orderBy('id')
        .executeTakeFirst() as Promise<UserRow | undefined>,
    existsKey: async (usernameKey: string, emailKey: string | null, q: Q = db) => {
      const r = await q
        .selectFrom('users')
        .select('id')
        .where((eb) =>
          eb.or([
            eb('username_key', '=', usernameKey),
            eb('email_key', '=', usernameKey),
            ...(emailKey
              ? [eb('email_key', '=', emailKey), eb('username_key', '=', emailKey)]
              : []),
          ]),
        )
        .executeTakeFirst();
      return r !== undefined;
    },
    count: async (q: Q = db) =>
      Number(
        (
          await q
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    setPasswordHash: (id: number, hash: string, at: number, changed: boolean, q: Q = db) =>
      q
        .updateTable('users')
        .set(
          changed
            ? { password_hash: hash, updated_at: at, password_changed_at: at }
            : { password_hash: hash },
        )
        .where('id', '=', id)
        .execute(),
    update: (id: number, patch: Partial<NewUser>, q: Q = db) =>
      q.updateTable('users').set(patch).where('id', '=', id).execute(),
    delete: (id: number, q: Q = db) =>
      q.deleteFrom('users').where('id', '=', id).executeTakeFirst(),
    roles: async (id: number, q: Q = db) => (await rolesOf.rows(q, id)).map((r) => r.role),
    setRoles: async (id: number, roles: string[], q: Q = db) => {
      await q.deleteFrom('user_roles').where('user_id', '=', id).execute();
      if (roles.length)
        await q
          .insertInto('user_roles')
          .values(roles.map((role) => ({ user_id: id, role })))
          .execute();
    },
    list: async (
      opts: {
        search?: string | undefined;
        userType?: string | undefined;
        status?: string | undefined;
        limit: number;
        offset: number;
      },
      q: Q = db,
    ) => {
      let sel = q.selectFrom('users');
      if (opts.search) {
        // Wildcards in the search are literal (escaped), so "a_b" finds "a_b", not "axb".
        const like = `%${opts.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        sel = sel.where((eb) =>
          eb.or([
            sql<boolean>`${eb.ref('username_key')} like ${like} escape '\\'`,
            sql<boolean>`${eb.ref('email_key')} like ${like} escape '\\'`,
          ]),
        );
      }
      if (opts.userType) sel = sel.where('user_type', '=', opts.userType);
      if (opts.status) sel = sel.where('status', '=', opts.status);
      const total = Number(
        (await sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      );
      const rows = (await sel
        .selectAll()
        .orderBy('id')
        .limit(opts.limit)
        .offset(opts.offset)
        .execute()) as UserRow[];
      return { total, rows };
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
