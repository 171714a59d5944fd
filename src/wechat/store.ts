import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { Sealer } from '../lib/seal.js';
import type { WechatAppsTable } from './tables.js';

const aad = (id: string) => `wechat_apps:${id}`;
const isUnique = (e: unknown) =>
  /unique|23505/i.test(String((e as { code?: string }).code ?? (e as Error).message));

/** A row as read: the stored (sealed) values kept, to compare and swap on. */
export type AppRow = WechatAppsTable;

/** The cached access token of a row, opened, with the stored form (to drop exactly that one). */
export interface CachedToken {
  token: string;
  stored: string;
  expiresAt: number;
}

/**
 * SQL access to one tenant's `wechat_apps` (through its scope). Secrets and
 * tokens are sealed here, under the row's id, on the way in, and opened on
 * the way out.
 */
export function createWechatStore(db: Kysely<Database>, sealer: Sealer) {
  const normalise = (r: AppRow): AppRow => ({
    ...r,
    token_expires_at: r.token_expires_at === null ? null : Number(r.token_expires_at),
    lease_until: r.lease_until === null ? null : Number(r.lease_until),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  });

  const byAppId = async (appId: string): Promise<AppRow | undefined> => {
    const r = await db
      .selectFrom('wechat_apps')
      .selectAll()
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return r && normalise(r);
  };

  /** The row of `appId`, made (without a secret) when missing: the deployment's app caches its token here. */
  const ensure = async (appId: string, id: string, now: number): Promise<AppRow> => {
    const found = await byAppId(appId);
    if (found) return found;
    try {
      await db
        .insertInto('wechat_apps')
        .values({
          id,
          app_id: appId,
          secret: null,
          access_token: null,
          token_expires_at: null,
          lease_owner: null,
          lease_until: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    } catch (e) {
      if (!isUnique(e)) throw e;
    }
    return (await byAppId(appId))!;
  };

  return {
    byAppId,
    async list(): Promise<AppRow[]> {
      const rows = await db.selectFrom('wechat_apps').selectAll().orderBy('app_id').execute();
      return rows.map(normalise);
    },
    secretOf: (r: AppRow): string | null =>
      r.secret === null ? null : sealer.open(r.secret, aad(r.id)),

    ensure,

    /** Sets an app's AppSecret (sealed); a new secret drops the cached token. */
    async putSecret(appId: string, id: string, secret: string, now: number): Promise<AppRow> {
      const row = await ensure(appId, id, now);
      await db
        .updateTable('wechat_apps')
        .set({
          secret: sealer.seal(secret, aad(row.id)),
          access_token: null,
          token_expires_at: null,
          updated_at: now,
        })
        .where('id', '=', row.id)
        .execute();
      return (await byAppId(appId))!;
    },

    async delete(appId: string): Promise<boolean> {
      const r = await db.deleteFrom('wechat_apps').where('app_id', '=', appId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    tokenOf(r: AppRow): CachedToken | undefined {
      if (r.access_token === null || r.token_expires_at === null) return undefined;
      return {
        token: sealer.open(r.access_token, aad(r.id)),
        stored: r.access_token,
        expiresAt: r.token_expires_at,
      };
    },

    /**
     * Takes the refresh lease when nobody holds a live one and the token
     * still needs a refresh (`fresh` is the least expiry that needs none):
     * one conditional update, so of any number of nodes asking at once, one wins.
     */
    async claim(id: string, owner: string, now: number, until: number, fresh: number) {
      const r = await db
        .updateTable('wechat_apps')
        .set({ lease_owner: owner, lease_until: until })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .where((eb) => eb.or([eb('access_token', 'is', null), eb('token_expires_at', '<=', fresh)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Stores the new token and ends the lease, if the lease is still this owner's. */
    async fill(id: string, owner: string, token: string, expiresAt: number, now: number) {
      await db
        .updateTable('wechat_apps')
        .set({
          access_token: sealer.seal(token, aad(id)),
          token_expires_at: expiresAt,
          lease_owner: null,
          lease_until: null,
          updated_at: now,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },

    async release(id: string, owner: string) {
      await db
        .updateTable('wechat_apps')
        .set({ lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },

    /** Forgets a token WeChat refused, unless another node replaced it meanwhile. */
    async drop(id: string, stored: string) {
      await db
        .updateTable('wechat_apps')
        .set({ access_token: null, token_expires_at: null })
        .where('id', '=', id)
        .where('access_token', '=', stored)
        .execute();
    },
  };
}

export type WechatStore = ReturnType<typeof createWechatStore>;
