import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import type { Sealer } from '../lib/seal.js';
import { sealedAad } from './sealing.js';
import type { SecurityDb } from './tables.js';

/**
 * A secret generated once and shared by every node: the first node to start
 * inserts a random value, a concurrent one loses the insert race (ON CONFLICT
 * DO NOTHING) and reads the winner's. Used when the operator did not set one.
 * Stored sealed under the master key (decision 0011).
 */
export async function sharedSecret(
  db: SecurityDb,
  clock: Clock,
  name: string,
  sealer: Sealer,
): Promise<string> {
  const aad = sealedAad({ table: 'security_secrets' }, name);
  await db
    .insertInto('security_secrets')
    .values({
      name,
      value: sealer.seal(randomBytes(32).toString('base64url'), aad),
      created_at: clock.now(),
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .selectFrom('security_secrets')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return sealer.open(row.value, aad);
}

/**
 * Lease for a periodic job shared by several nodes: true for the one node
 * whose conditional update moved `next_run_at` forward, false for the rest.
 */
export async function takeLease(
  db: SecurityDb,
  name: string,
  now: number,
  periodMs: number,
): Promise<boolean> {
  await db
    .insertInto('job_leases')
    .values({ name, next_run_at: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const r = await db
    .updateTable('job_leases')
    .set({ next_run_at: now + periodMs })
    .where('name', '=', name)
    .where('next_run_at', '<=', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
