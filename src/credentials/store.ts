import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../db/types.js';

/** Table credential_tokens (migration 0009): one-time tokens, stored as their SHA-256. */
export interface CredentialTokensTable {
  token_hash: string;
  user_id: number;
  purpose: TokenPurpose;
  /** For a verification token: the e-mail key it proves (a later change of address voids it). */
  email_key: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

declare module '../db/types.js' {
  interface Database {
    credential_tokens: CredentialTokensTable;
  }
}

export type TokenPurpose = 'reset' | 'verify';
export type TokenRow = Selectable<CredentialTokensTable>;
type Q = Kysely<Database> | Transaction<Database>;

/** SQL access to one tenant's credential tokens (built on the tenant's scope). */
export function createTokenStore(db: Kysely<Database>) {
  return {
    insert: (row: CredentialTokensTable, q: Q = db) =>
      q.insertInto('credential_tokens').values(row).execute(),
    byHash: (hash: string, q: Q = db) =>
      q
        .selectFrom('credential_tokens')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst() as Promise<TokenRow | undefined>,
    /** Marks the token used if it still is unused and alive; true when this call used it. */
    async use(hash: string, now: number, q: Q): Promise<boolean> {
      const r = await q
        .updateTable('credential_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', hash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Voids every unused token of the user for `purpose` (after a reset, or a new address). */
    voidAll: (userId: number, purpose: TokenPurpose, now: number, q: Q = db) =>
      q
        .updateTable('credential_tokens')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .execute(),
    /** Removes tokens expired before `before` (housekeeping). */
    prune: (before: number, q: Q = db) =>
      q.deleteFrom('credential_tokens').where('expires_at', '<', before).executeTakeFirst(),
  };
}

export type TokenStore = ReturnType<typeof createTokenStore>;
