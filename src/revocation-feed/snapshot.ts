import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';

export interface SnapshotEntry {
  kind: string;
  value: string;
  expiresAt: number;
  notBefore?: number;
}

/**
 * Every revocation of one tenant whose tokens may still be alive, from SQL (the durable
 * list: a revocation is applied and published only after its row committed, so a client
 * that reads this after its stream's `reset` misses nothing from before the reset).
 */
export async function readSnapshot(db: Kysely<Database>, clock: Clock): Promise<SnapshotEntry[]> {
  const rows = await db
    .selectFrom('revocations')
    .select(['kind', 'value', 'not_before', 'expires_at'])
    .where('expires_at', '>', clock.now())
    .execute();
  return rows.map((r) => {
    const e: SnapshotEntry = { kind: r.kind, value: r.value, expiresAt: Number(r.expires_at) };
    if (r.kind === 'user') e.notBefore = Number(r.not_before ?? 0);
    return e;
  });
}
