import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { ConfigError } from '../config/load.js';
import { parseMasterKey } from '../config/master-key.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { createSealer, isSealed, type Sealer } from '../lib/seal.js';

/**
 * The node's sealer (decision 0011): TESSERA_MASTER_KEY or the first line of
 * TESSERA_MASTER_KEY_FILE seals; the file's other lines and
 * TESSERA_MASTER_KEY_PREVIOUS only open. Production never gets here without a
 * key (config/load.ts refuses), and a sealer without one refuses to seal there.
 */
export function sealerFromConfig(config: Config): Sealer {
  const texts: string[] = [];
  if (config.masterKey) texts.push(config.masterKey);
  if (config.masterKeyFile) {
    let body: string;
    try {
      body = readFileSync(config.masterKeyFile, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `TESSERA_MASTER_KEY_FILE: cannot read ${config.masterKeyFile} (${(e as NodeJS.ErrnoException).code ?? 'error'}) (example: TESSERA_MASTER_KEY_FILE=/run/secrets/tessera-master-key)`,
      );
    }
    texts.push(...body.split('\n').filter((l) => l.trim() !== ''));
  }
  texts.push(...config.masterKeyPrevious);
  const keys = texts.map((t) => {
    const k = parseMasterKey(t);
    if (!k)
      throw new ConfigError(
        'TESSERA_MASTER_KEY_FILE: every line must be a 32-byte key as base64 or 64 hex digits (example: openssl rand -base64 32 > tessera-master-key)',
      );
    return k;
  });
  const sealer = createSealer(keys);
  if (config.production && sealer.current === null)
    throw new ConfigError(
      'TESSERA_MASTER_KEY: required when NODE_ENV=production (example: TESSERA_MASTER_KEY=$(openssl rand -base64 32))',
    );
  return sealer;
}

/**
 * Every column that holds a sealed secret, with the column naming its row
 * (the additional data binds a sealed value to its row). A table that stores
 * a secret (TOTP secrets, WeChat session keys, webhook secrets) adds itself here.
 */
const SEALED_COLUMNS = [
  { table: 'signing_keys', id: 'kid', column: 'private_jwk' },
  { table: 'security_secrets', id: 'name', column: 'value' },
  // Mail bodies carry reset and verification links while they wait to be sent or read.
  { table: 'mail_queue', id: 'id', column: 'body' },
  { table: 'mfa_totp', id: 'user_id', column: 'secret' },
  { table: 'oauth_providers', id: 'id', column: 'client_secret' },
  { table: 'oauth_states', id: 'id_hash', column: 'code_verifier' },
  // A tenant's WeChat AppSecret and the app's cached access token (decision 0019).
  { table: 'wechat_apps', id: 'id', column: 'secret' },
  { table: 'wechat_apps', id: 'id', column: 'access_token' },
] as const;

export type SealedColumn = (typeof SEALED_COLUMNS)[number];

/** The additional data of a sealed value: its table and row. */
export const sealedAad = (c: Pick<SealedColumn, 'table'>, id: string) => `${c.table}:${id}`;

export interface ResealReport {
  /** Values sealed again under the current key (or sealed for the first time). */
  resealed: number;
  /** Values already under the current key. */
  current: number;
}

/**
 * Seals every stored secret under the current master key, across every
 * tenant (`db` unscoped): values under another key this node holds are
 * opened and sealed again, values in the clear are sealed. Each row changes
 * by a conditional update (only if it still holds what was read), so running
 * nodes, a concurrent rotation or a second reseal never lose a value; a node
 * reading a row meanwhile opens either form. `onlyClear`: seal what is in the
 * clear and leave the rest (run at every start with a master key).
 */
export async function resealAll(
  db: Kysely<Database>,
  sealer: Sealer,
  opts: { onlyClear?: boolean } = {},
): Promise<ResealReport> {
  if (sealer.current === null) throw new Error('no master key: set TESSERA_MASTER_KEY');
  const out: ResealReport = { resealed: 0, current: 0 };
  for (const c of SEALED_COLUMNS) {
    const rows = await sql<{ id: string; value: string | null }>`
      select ${sql.ref(c.id)} as id, ${sql.ref(c.column)} as value from ${sql.table(c.table)}
      where ${sql.ref(c.column)} is not null`.execute(db);
    for (const r of rows.rows) {
      if (r.value === null) continue;
      if (sealer.isCurrent(r.value) || (opts.onlyClear && isSealed(r.value))) {
        out.current++;
        continue;
      }
      const aad = sealedAad(c, r.id);
      const next = sealer.seal(sealer.open(r.value, aad), aad);
      await sql`update ${sql.table(c.table)} set ${sql.ref(c.column)} = ${next}
        where ${sql.ref(c.id)} = ${r.id} and ${sql.ref(c.column)} = ${r.value}`.execute(db);
      out.resealed++;
    }
  }
  return out;
}
