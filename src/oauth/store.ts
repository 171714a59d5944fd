import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types.js';
import { randomId } from '../lib/crypto.js';
import type { Sealer } from '../lib/seal.js';
import { parseDefinition, type ProviderDef } from './definition.js';
import type { OAuthCodesTable, OAuthStatesTable } from './tables.js';

type Q = Kysely<Database> | Transaction<Database>;

export type StateRow = OAuthStatesTable;
export type CodeRow = OAuthCodesTable;

const secretAad = (id: string) => `oauth_providers:${id}`;
const verifierAad = (idHash: string) => `oauth_states:${idHash}`;

/** A link ticket dies after this many wrong passwords. */
const LINK_MAX_FAILURES = 5;

/**
 * The external providers' rows of ONE tenant: `db` is a tenant scope
 * (core.sql.scope). Client secrets and PKCE verifiers are sealed on the way
 * in and opened on the way out; states, codes and tickets are kept as hashes.
 */
export function createOAuthStore(db: Kysely<Database>, sealer: Sealer, production: boolean) {
  const toDef = (r: { id: string; definition: string; client_secret: string }): ProviderDef =>
    parseDefinition(
      {
        ...(JSON.parse(r.definition) as object),
        client_secret: sealer.open(r.client_secret, secretAad(r.id)),
      },
      production,
    );
  return {
    db,
    async providers(): Promise<(ProviderDef & { updated_at: number })[]> {
      const rows = await db.selectFrom('oauth_providers').selectAll().orderBy('name').execute();
      return rows.map((r) => ({ ...toDef(r), updated_at: r.updated_at }));
    },

    async provider(name: string): Promise<(ProviderDef & { updated_at: number }) | undefined> {
      const r = await db
        .selectFrom('oauth_providers')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      return r && { ...toDef(r), updated_at: r.updated_at };
    },

    /** Inserts; false when the name is taken in this tenant. */
    async insertProvider(def: ProviderDef, now: number, q: Q = db): Promise<boolean> {
      const id = randomId(16);
      const { client_secret, ...rest } = def;
      const r = await q
        .insertInto('oauth_providers')
        .values({
          id,
          name: def.name,
          definition: JSON.stringify(rest),
          client_secret: sealer.seal(client_secret, secretAad(id)),
          created_at: now,
          updated_at: now,
        })
        .onConflict((c) => c.columns(['tenant_id', 'name'] as never).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    /** Replaces a definition (the secret kept when `def.client_secret` is empty); false when absent. */
    async updateProvider(def: ProviderDef, now: number, q: Q = db): Promise<boolean> {
      const row = await q
        .selectFrom('oauth_providers')
        .select(['id', 'client_secret'])
        .where('name', '=', def.name)
        .executeTakeFirst();
      if (!row) return false;
      const { client_secret, ...rest } = def;
      await q
        .updateTable('oauth_providers')
        .set({
          definition: JSON.stringify(rest),
          ...(client_secret
            ? { client_secret: sealer.seal(client_secret, secretAad(row.id)) }
            : {}),
          updated_at: now,
        })
        .where('id', '=', row.id)
        .execute();
      return true;
    },

    async deleteProvider(name: string, q: Q = db): Promise<boolean> {
      const r = await q.deleteFrom('oauth_providers').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },

    async insertState(row: StateRow): Promise<void> {
      await db
        .insertInto('oauth_states')
        .values({ ...row, code_verifier: sealer.seal(row.code_verifier, verifierAad(row.id_hash)) })
        .execute();
    },

    /** Uses the live state `idHash` names, once: undefined if unknown, used or expired. */
    async takeState(idHash: string, now: number): Promise<StateRow | undefined> {
      const r = await db
        .updateTable('oauth_states')
        .set({ used_at: now })
        .where('id_hash', '=', idHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return undefined;
      const s = await db
        .selectFrom('oauth_states')
        .selectAll()
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
      return s && { ...s, code_verifier: sealer.open(s.code_verifier, verifierAad(idHash)) };
    },

    async insertCode(row: CodeRow): Promise<void> {
      await db.insertInto('oauth_codes').values(row).execute();
    },

    /** The live code or ticket `idHash` names, of this kind (not used up). */
    async liveCode(
      idHash: string,
      kind: CodeRow['kind'],
      now: number,
    ): Promise<CodeRow | undefined> {
      return db
        .selectFrom('oauth_codes')
        .selectAll()
        .where('id_hash', '=', idHash)
        .where('kind', '=', kind)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where('failures', '<', LINK_MAX_FAILURES)
        .executeTakeFirst();
    },

    /** Uses a live code once: false when another request used it first, or it expired. */
    async useCode(idHash: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('oauth_codes')
        .set({ used_at: now })
        .where('id_hash', '=', idHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where('failures', '<', LINK_MAX_FAILURES)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async countFailure(idHash: string): Promise<void> {
      await db
        .updateTable('oauth_codes')
        .set((eb) => ({ failures: eb('failures', '+', 1) }))
        .where('id_hash', '=', idHash)
        .execute();
    },
  };
}

export type OAuthStore = ReturnType<typeof createOAuthStore>;
