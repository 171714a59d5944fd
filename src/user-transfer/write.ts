import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import { NO_PASSWORD } from '../users/service.js';
import type { NewUser } from '../users/store.js';
import type { Audit } from '../audit/audit.js';
import type { EndReason } from '../sessions/service.js';
import type { ImportRow } from './rows.js';

/** A tenant's services an import uses: its roles, its audit trail, and what an update does to sessions. */
export interface TenantParts {
  roles: { get(name: string): unknown };
  audit: Audit;
  sessions: { endAll(id: number, reason: EndReason, meta: object, u: Unit): Promise<number> };
  accounts: { revokeTokens(id: number, u: Unit): Promise<void> };
}

export type OnConflict = 'skip' | 'update' | 'fail';

/** What became of one row of a batch. */
export type Decision =
  { kind: 'imported' | 'updated' | 'skipped' } | { kind: 'failed'; error: string };

interface BatchContext {
  /** The tenant's scope (db/scope.ts). */
  q: Kysely<Database>;
  parts: TenantParts;
  now: number;
  dryRun: boolean;
  onConflict: OnConflict;
}

type Existing = { id: number; username_key: string; email_key: string | null };
type Plan = { kind: 'insert' } | { kind: 'update'; id: number } | Decision;

const CLI = { actorId: null, ip: null, userAgent: 'tessera-cli' };

const isConstraint = (e: unknown) =>
  /unique|constraint|23505|23503|23514/i.test(
    String((e as { code?: string }).code ?? '') + (e as Error).message,
  );

/**
 * One tenant's part of a batch, in one transaction: the existing users that
 * share a username or e-mail with a row are read at once, each row is planned
 * (insert, update, skip, fail) by --on-conflict, then new users go in one
 * multi-row insert. Should the transaction fail on a constraint (a user
 * registered meanwhile), the rows are written one by one so that only the
 * offending one fails. A dry run plans and writes nothing.
 */
export async function writeBatch(c: BatchContext, rows: ImportRow[]): Promise<Decision[]> {
  const plans = plan(c, rows, await existing(c.q, rows));
  if (c.dryRun)
    return plans.map((p) =>
      p.kind === 'insert' ? { kind: 'imported' } : p.kind === 'update' ? { kind: 'updated' } : p,
    );
  try {
    await inUnit(c.q, (u) => apply(c, u, rows, plans));
    return plans.map(done);
  } catch (e) {
    if (!isConstraint(e)) throw e;
  }
  const out: Decision[] = [];
  for (const row of rows) {
    const again = plan(c, [row], await existing(c.q, [row]))[0]!;
    try {
      await inUnit(c.q, (u) => apply(c, u, [row], [again]));
      out.push(done(again));
    } catch (e) {
      if (!isConstraint(e)) throw e;
      out.push({ kind: 'failed', error: `refused by the database: ${(e as Error).message}` });
    }
  }
  return out;
}

const done = (p: Plan): Decision =>
  p.kind === 'insert' ? { kind: 'imported' } : p.kind === 'update' ? { kind: 'updated' } : p;

async function existing(q: Kysely<Database>, rows: ImportRow[]): Promise<Existing[]> {
  const keys = [
    ...new Set(rows.flatMap((r) => [r.usernameKey, ...(r.email ? [r.email.key] : [])])),
  ];
  // Two look-ups, each on its unique index ((tenant_id, username_key), (tenant_id, email_key)):
  // one query with OR scanned the whole table, which made a large import quadratic.
  const by = (col: 'username_key' | 'email_key') =>
    q
      .selectFrom('users')
      .select(['id', 'username_key', 'email_key'])
      .where(col, 'in', keys)
      .execute();
  const found = new Map<number, Existing>();
  for (const e of [...(await by('username_key')), ...(await by('email_key'))]) found.set(e.id, e);
  return [...found.values()];
}

function plan(c: BatchContext, rows: ImportRow[], found: Existing[]): Plan[] {
  const byKey = new Map<string, Existing[]>();
  const add = (k: string | null, e: Existing) => k && byKey.set(k, [...(byKey.get(k) ?? []), e]);
  for (const e of found) {
    add(e.username_key, e);
    if (e.email_key !== e.username_key) add(e.email_key, e);
  }
  return rows.map((r): Plan => {
    const clash = new Set([
      ...(byKey.get(r.usernameKey) ?? []),
      ...(r.email ? (byKey.get(r.email.key) ?? []) : []),
    ]);
    if (clash.size === 0) return { kind: 'insert' };
    const same = [...clash].find((e) => e.username_key === r.usernameKey);
    if (c.onConflict === 'skip') return { kind: 'skipped' };
    const emailTaken =
      r.email !== undefined &&
      [...clash].some(
        (e) => e !== same && (e.email_key === r.email!.key || e.username_key === r.email!.key),
      );
    const other = emailTaken
      ? 'USER_EXISTS: the e-mail belongs to another user'
      : "USER_EXISTS: the username is another user's e-mail";
    if (c.onConflict === 'fail')
      return {
        kind: 'failed',
        error: same
          ? `USER_EXISTS: user ${r.username} exists (--on-conflict skip or update to keep going)`
          : other,
      };
    if (!same || clash.size > 1) return { kind: 'failed', error: other };
    return { kind: 'update', id: same.id };
  });
}

function newUser(r: ImportRow, now: number): NewUser {
  return {
    username: r.username,
    username_key: r.usernameKey,
    email: r.email?.display ?? null,
    email_key: r.email?.key ?? null,
    phone_number: r.phone ?? null,
    display_name: r.displayName ?? null,
    password_hash: r.hash ?? NO_PASSWORD,
    user_type: r.userType ?? 'user',
    status: r.disabled ? 'disabled' : 'active',
    created_at: r.createdAt ?? now,
    updated_at: now,
    password_changed_at: now,
    locale: r.locale ?? null,
    email_verified_at: r.email ? verifiedAt(r, now) : null,
  };
}

const verifiedAt = (r: ImportRow, now: number) =>
  r.emailVerifiedAt === 'now' ? now : (r.emailVerifiedAt ?? null);

async function apply(c: BatchContext, u: Unit, rows: ImportRow[], plans: Plan[]): Promise<void> {
  const inserts = rows.filter((_, i) => plans[i]!.kind === 'insert');
  if (inserts.length) {
    const ids = await u.tx
      .insertInto('users')
      .values(inserts.map((r) => newUser(r, c.now)))
      .returning(['id', 'username_key'])
      .execute();
    // RETURNING's order is not promised: match by key.
    const idOf = new Map(ids.map((x) => [x.username_key, x.id]));
    const roles = inserts.flatMap((r) =>
      (r.roles ?? ['user']).map((role) => ({ user_id: idOf.get(r.usernameKey)!, role })),
    );
    for (let i = 0; i < roles.length; i += 2000)
      await u.tx
        .insertInto('user_roles')
        .values(roles.slice(i, i + 2000))
        .execute();
  }
  for (const [i, p] of plans.entries()) if (p.kind === 'update') await update(c, u, rows[i]!, p.id);
}

/**
 * An update writes the columns the row gives, and does what the same change
 * by an administrator does (users/account.ts): a new password or a disabling
 * ends the user's sessions, new roles or type refuse its access tokens.
 */
async function update(c: BatchContext, u: Unit, r: ImportRow, id: number): Promise<void> {
  const before = await u.tx
    .selectFrom('users')
    .select(['status', 'user_type', 'email_key', 'password_hash'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const patch: Partial<NewUser> = { updated_at: c.now };
  if (r.email) {
    Object.assign(patch, { email: r.email.display, email_key: r.email.key });
    if (r.email.key !== before.email_key || r.emailVerifiedAt !== undefined)
      patch.email_verified_at = verifiedAt(r, c.now);
  }
  if (r.phone !== undefined) patch.phone_number = r.phone;
  if (r.displayName !== undefined) patch.display_name = r.displayName;
  if (r.userType !== undefined) patch.user_type = r.userType;
  if (r.disabled !== undefined) patch.status = r.disabled ? 'disabled' : 'active';
  if (r.locale !== undefined) patch.locale = r.locale;
  // The same hash again (an export imported back) is no new password.
  const newHash = r.hash !== undefined && r.hash !== before.password_hash;
  if (newHash) Object.assign(patch, { password_hash: r.hash, password_changed_at: c.now });
  await u.tx.updateTable('users').set(patch).where('id', '=', id).execute();
  const had = (
    await u.tx.selectFrom('user_roles').select('role').where('user_id', '=', id).execute()
  ).map((x) => x.role);
  const newRoles = r.roles !== undefined && [...had].sort().join() !== [...r.roles].sort().join();
  if (newRoles) {
    await u.tx.deleteFrom('user_roles').where('user_id', '=', id).execute();
    if (r.roles!.length)
      await u.tx
        .insertInto('user_roles')
        .values(r.roles!.map((role) => ({ user_id: id, role })))
        .execute();
  }
  if (r.disabled && before.status !== 'disabled')
    await c.parts.sessions.endAll(id, 'USER_DISABLED', CLI, u);
  else if (newHash) await c.parts.sessions.endAll(id, 'PASSWORD_CHANGED', CLI, u);
  else if (newRoles || (r.userType !== undefined && r.userType !== before.user_type))
    await c.parts.accounts.revokeTokens(id, u);
}
