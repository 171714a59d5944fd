import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';

/** Tables of migration 0003_security: shared secrets and job leases, infrastructure every feature may use. */
export type SecurityTables = {
  security_secrets: { name: string; value: string; created_at: number };
  job_leases: { name: string; next_run_at: number };
};

export type SecurityDb = Kysely<Database & SecurityTables>;

export function securityDb(k: Kysely<Database>): SecurityDb {
  return k.withTables<SecurityTables>();
}
