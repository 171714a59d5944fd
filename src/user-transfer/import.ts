import { basename } from 'node:path';
import type { TenantId, TenantSql } from '../db/scope.js';
import type { Clock } from '../lib/clock.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { ImportFileError, type SourceRecord } from './read.js';
import { checkRow, RowError, type ImportRow, type RowContext } from './rows.js';
import { errorsFile, openSource } from './source.js';
import { writeBatch, type Decision, type OnConflict, type TenantParts } from './write.js';

export type { OnConflict } from './write.js';

/** What an import needs of the running node (a Runtime has it all). */
export interface TransferDeps {
  sql: TenantSql;
  tenants: {
    active(raw: string): TenantId | undefined;
    get(id: string): { id: TenantId } | undefined;
    list(): { id: TenantId }[];
  };
  tenantCore(t: TenantId): Promise<TenantParts>;
  hasher: PasswordHasher;
  clock: Clock;
}

export interface ImportOptions {
  path: string;
  format?: string | undefined;
  tenant?: string | undefined;
  dryRun?: boolean;
  onConflict?: OnConflict;
  hashPlaintext?: boolean;
  /** Failed records go there (see source.ts errorsFile). */
  errorsPath?: string | undefined;
  /** Rows a transaction writes (default 1,000). */
  batchSize?: number;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  bytes: number;
  size: number;
  rows: number;
  imported: number;
  updated: number;
  skipped: number;
  failed: number;
}

export interface Failure {
  row: number;
  line: number;
  error: string;
}

export interface ImportSummary extends Omit<Progress, 'bytes' | 'size'> {
  dryRun: boolean;
  /** The first failures (all of them are in the --errors file). */
  failures: Failure[];
  /** Columns (JSON keys) no field of Tessera's matches: not imported. */
  ignored: string[];
  ms: number;
}

const MAX_FAILURES_KEPT = 1000;

/**
 * `tessera users import`: reads the file a record at a time, checks each
 * record, and writes them in batches, one transaction per tenant and batch
 * (write.ts). A record that fails is counted, reported with its row number
 * and written to --errors; the rest goes on. A dry run checks everything the
 * import would (the database included) and writes nothing. Decision 0023.
 */
export async function importUsers(d: TransferDeps, o: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const onConflict = o.onConflict ?? 'fail';
  const batchSize = o.batchSize ?? 1000;
  let tenant: TenantId | undefined;
  if (o.tenant !== undefined) {
    tenant = d.tenants.active(o.tenant);
    if (!tenant) throw new ImportFileError(`--tenant ${o.tenant}: no such active tenant`);
  }
  const ctx: RowContext = {
    ...(tenant ? { tenant } : {}),
    activeTenant: (raw) => d.tenants.active(raw),
    hashPlaintext: o.hashPlaintext ?? false,
  };
  const src = await openSource(o.path, o.format, ctx.hashPlaintext);
  const errors = o.errorsPath ? errorsFile(o.errorsPath, src.format, src.header) : undefined;
  const s: ImportSummary = {
    dryRun: o.dryRun ?? false,
    rows: 0,
    imported: 0,
    updated: 0,
    skipped: 0,
    failed: 0,
    failures: [],
    ignored: [],
    ms: 0,
  };
  const perTenant = new Map<TenantId, { imported: number; updated: number }>();
  // username and e-mail keys seen so far, per tenant, to the row that has them: a
  // file that repeats a user is an error in either mode (~100 bytes a row).
  const seen = new Map<string, number>();

  const fail = async (r: SourceRecord, error: string) => {
    s.failed++;
    if (s.failures.length < MAX_FAILURES_KEPT) s.failures.push({ row: r.row, line: r.line, error });
    await errors?.add(r, error);
  };

  // In file order: a record and its checked row, or why it failed already.
  let batch: { rec: SourceRecord; row?: ImportRow; error?: string }[] = [];
  const flush = async () => {
    const items = batch;
    batch = [];
    if (ctx.hashPlaintext)
      await hashPlaintexts(
        d.hasher,
        items.flatMap((b) => b.row ?? []),
      );
    const results: (Decision | undefined)[] = [];
    const byTenant = new Map<TenantId, number[]>();
    for (const [i, b] of items.entries()) {
      const why = b.error ?? (await precheck(b.row!));
      if (why !== undefined) results[i] = { kind: 'failed', error: why };
      else {
        const list = byTenant.get(b.row!.tenant);
        if (list) list.push(i);
        else byTenant.set(b.row!.tenant, [i]);
      }
    }
    for (const [t, at] of byTenant) {
      const decisions = await writeBatch(
        {
          q: d.sql.scope(t),
          parts: await d.tenantCore(t),
          now: d.clock.now(),
          dryRun: s.dryRun,
          onConflict,
        },
        at.map((i) => items[i]!.row!),
      );
      const counts = perTenant.get(t) ?? { imported: 0, updated: 0 };
      perTenant.set(t, counts);
      for (const [j, dec] of decisions.entries()) {
        results[at[j]!] = dec;
        if (dec.kind === 'imported' || dec.kind === 'updated') counts[dec.kind]++;
      }
    }
    for (const [i, dec] of results.entries()) {
      if (!dec) continue;
      if (dec.kind === 'failed') await fail(items[i]!.rec, dec.error);
      else s[dec.kind]++;
    }
    o.onProgress?.({ ...s, bytes: src.bytes(), size: src.size });
  };

  /** What the row's own checks cannot see: its roles in its tenant, and the rest of the file. */
  async function precheck(r: ImportRow): Promise<string | undefined> {
    const parts = await d.tenantCore(r.tenant);
    const unknown = (r.roles ?? []).find((role) => !parts.roles.get(role));
    if (unknown !== undefined) return `unknown role ${unknown}`;
    const keys = [
      r.usernameKey,
      ...(r.email && r.email.key !== r.usernameKey ? [r.email.key] : []),
    ];
    for (const k of keys) {
      const other = seen.get(`${r.tenant}\0${k}`);
      if (other !== undefined) return `${k} is also in row ${other} of this file`;
    }
    for (const k of keys) seen.set(`${r.tenant}\0${k}`, r.row);
    return undefined;
  }

  try {
    for await (const rec of src.records) {
      s.rows++;
      if (rec.error || !rec.fields) batch.push({ rec, error: rec.error ?? 'unreadable' });
      else
        try {
          batch.push({ rec, row: checkRow(rec.fields, rec, ctx) });
        } catch (e) {
          if (!(e instanceof RowError)) throw e;
          batch.push({ rec, error: e.message });
        }
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length) await flush();
  } finally {
    await errors?.close();
  }
  s.ignored = src.ignored();
  s.ms = Date.now() - started;
  if (!s.dryRun)
    for (const [t, c] of perTenant) {
      const parts = await d.tenantCore(t);
      parts.audit.record({
        event: 'admin.users.import',
        outcome: 'success',
        data: { via: 'cli', file: basename(o.path), on_conflict: onConflict, ...c },
      });
    }
  return s;
}

/** --hash-plaintext: argon2id for each plain-text password, a few at a time (the thread pool has 4). */
async function hashPlaintexts(hasher: PasswordHasher, rows: ImportRow[]): Promise<void> {
  const todo = rows.filter((r) => r.plaintext !== undefined);
  for (let i = 0; i < todo.length; i += 8)
    await Promise.all(
      todo.slice(i, i + 8).map(async (r) => {
        r.hash = await hasher.hash(r.plaintext!);
        delete r.plaintext;
      }),
    );
}
