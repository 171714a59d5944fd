import type { Kysely } from 'kysely';
import type { Dialect } from '../db/types.js';

/**
 * A tenant's WeChat mini-programs and each one's cached access token
 * (migration 0011_wechat). `tenant_id` is written and filtered by the
 * tenant scope (db/scope.ts TENANT_TABLES) and absent from this type.
 */
export interface WechatAppsTable {
  /** Random; names the row in the sealed values' additional data (`wechat_apps:<id>`). */
  id: string;
  app_id: string;
  /** The AppSecret, sealed; null for the deployment's app (TESSERA_WECHAT_APP_SECRET, never stored). */
  secret: string | null;
  /** The app's access token (stable_token), sealed; null until first needed. */
  access_token: string | null;
  token_expires_at: number | null;
  /** The node refreshing the token now, and until when it may (a lease: one refresh at a time). */
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

declare module '../db/types.js' {
  interface Database {
    wechat_apps: WechatAppsTable;
  }
}

/** Migration 0011_wechat. */
export const migration0011 = {
  async up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
    const big = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('wechat_apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('secret', 'text')
      .addColumn('access_token', 'text')
      .addColumn('token_expires_at', big)
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', big)
      .addColumn('created_at', big, (c) => c.notNull())
      .addColumn('updated_at', big, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('wechat_apps_app_uq')
      .on('wechat_apps')
      .columns(['tenant_id', 'app_id'])
      .unique()
      .execute();
  },
};
