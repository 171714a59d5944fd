import type { Kysely } from 'kysely';
import type { Database, SigningKeysTable } from '../db/types.js';

export function createKeyStore(db: Kysely<Database>) {
  return {
    all: () => db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute(),
    insert: (row: SigningKeysTable) => db.insertInto('signing_keys').values(row).execute(),
    async retireAllExcept(kid: string, at: number, expiresAt: number): Promise<void> {
      await db
        .updateTable('signing_keys')
        .set({ status: 'retired', retired_at: at, expires_at: expiresAt })
        .where('kid', '!=', kid)
        .where('retired_at', 'is', null)
        .execute();
    },
    /** Removes keys no live token can carry any more. */
    pruneExpired: (now: number) =>
      db.deleteFrom('signing_keys').where('expires_at', '<', now).execute(),
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
