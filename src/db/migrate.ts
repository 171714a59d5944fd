import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Db, Dialect } from './types.js';
import * as m0001 from './migrations/0001_init.js';
import * as m0003 from './migrations/0003_security.js';
import * as m0004 from './migrations/0004_sessions_alive_index.js';
import * as m0005 from './migrations/0005_revocation_changes.js';
import * as m0006 from './migrations/0006_tenants.js';
import * as m0010 from './migrations/0010_identities.js';

/** One migration: a feature declares its own (src/feature/contract.ts). */
export interface MigrationStep {
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** The core's migrations. Append only: never edit one that has shipped. */
const CORE: Record<string, MigrationStep> = {
  '0001_init': m0001,
  '0003_security': m0003,
  '0004_sessions_alive_index': m0004,
  '0005_revocation_changes': m0005,
  '0006_tenants': m0006,
  '0010_identities': m0010,
};

class CodeProvider implements MigrationProvider {
  constructor(
    private dialect: Dialect,
    private steps: Record<string, MigrationStep>,
  ) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, step] of Object.entries(this.steps)) {
      out[name] = { up: (db) => step.up(db, this.dialect) };
    }
    return out;
  }
}

/**
 * Applies pending migrations, the core's and the features' (`extra`), in name
 * order, each in a transaction, under Kysely's lock. Returns the names applied.
 */
export async function migrate(
  db: Db,
  extra: Readonly<Record<string, MigrationStep>> = {},
  /** Stop after this migration (tests seed rows between migrations). */
  upTo?: string,
): Promise<string[]> {
  const steps: Record<string, MigrationStep> = { ...CORE };
  for (const [name, step] of Object.entries(extra)) {
    if (steps[name]) throw new Error(`migration ${name} is declared twice`);
    steps[name] = step;
  }
  const migrator = new Migrator({
    db: db.kysely,
    provider: new CodeProvider(db.dialect, steps),
    migrationTableName: 'tessera_migrations',
    migrationLockTableName: 'tessera_migrations_lock',
    // Kysely looks for its tables across all schemas unless told which one.
    ...(db.schema ? { migrationTableSchema: db.schema } : {}),
  });
  const { error, results } = upTo
    ? await migrator.migrateTo(upTo)
    : await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
