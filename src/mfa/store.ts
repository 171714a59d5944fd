import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types.js';
import type { Sealer } from '../lib/seal.js';
import type { MfaTicketsTable, MfaTotpTable } from './tables.js';

type Q = Kysely<Database> | Transaction<Database>;

/** The additional data of a sealed TOTP secret: its row (infra/sealing.ts SEALED_COLUMNS). */
const secretAad = (userId: number) => `mfa_totp:${userId}`;

export type TicketRow = MfaTicketsTable;
export type Factor = Omit<MfaTotpTable, 'secret'> & { secret: string };

/** Tickets die after this many wrong codes (API.md "Second factor"). */
const TICKET_MAX_FAILURES = 5;

/**
 * The second factor's rows of ONE tenant: `db` is a tenant scope
 * (core.sql.scope), so every query below reads and writes that tenant's rows
 * only. Secrets are sealed on the way in and opened on the way out.
 */
export function createMfaStore(db: Kysely<Database>, sealer: Sealer) {
  return {
    db,
    async factor(userId: number, q: Q = db): Promise<Factor | undefined> {
      const r = await q
        .selectFrom('mfa_totp')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return r && { ...r, secret: sealer.open(r.secret, secretAad(userId)) };
    },

    /** A new pending factor, replacing a pending one (never an active one: the caller checks). */
    async putPending(userId: number, secret: string, now: number): Promise<void> {
      const sealed = sealer.seal(secret, secretAad(userId));
      await db.transaction().execute(async (tx) => {
        await tx
          .deleteFrom('mfa_totp')
          .where('user_id', '=', userId)
          .where('status', '=', 'pending')
          .execute();
        await tx
          .insertInto('mfa_totp')
          .values({
            user_id: userId,
            secret: sealed,
            status: 'pending',
            created_at: now,
            confirmed_at: null,
            last_step: null,
          })
          .execute();
      });
    },

    /** Records `step` as used if no later or equal step was: false = the code was used already. */
    async claimStep(userId: number, step: number, q: Q = db): Promise<boolean> {
      const r = await q
        .updateTable('mfa_totp')
        .set({ last_step: step })
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async activate(userId: number, now: number, q: Q): Promise<boolean> {
      const r = await q
        .updateTable('mfa_totp')
        .set({ status: 'active', confirmed_at: now })
        .where('user_id', '=', userId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async putRecoveryCodes(userId: number, hashes: string[], now: number, q: Q): Promise<void> {
      await q.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
      await q
        .insertInto('mfa_recovery_codes')
        .values(
          hashes.map((h) => ({ user_id: userId, code_hash: h, created_at: now, used_at: null })),
        )
        .execute();
    },

    async unusedRecoveryHashes(userId: number): Promise<string[]> {
      const rows = await db
        .selectFrom('mfa_recovery_codes')
        .select('code_hash')
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .execute();
      return rows.map((r) => r.code_hash);
    },

    /** Marks a recovery code used if it was not: false = used meanwhile (a concurrent request). */
    async useRecoveryCode(userId: number, hash: string, now: number, q: Q): Promise<boolean> {
      const r = await q
        .updateTable('mfa_recovery_codes')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('code_hash', '=', hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Removes the factor, its recovery codes and its tickets; true if there was a factor. */
    async remove(userId: number, q: Q): Promise<boolean> {
      const r = await q.deleteFrom('mfa_totp').where('user_id', '=', userId).executeTakeFirst();
      await q.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
      await q.deleteFrom('mfa_tickets').where('user_id', '=', userId).execute();
      return Number(r.numDeletedRows) > 0;
    },

    async insertTicket(t: TicketRow): Promise<void> {
      await db.insertInto('mfa_tickets').values(t).execute();
    },

    /** A ticket that can still be answered (unused, unexpired, fewer than 5 failures). */
    async liveTicket(idHash: string, now: number): Promise<TicketRow | undefined> {
      return db
        .selectFrom('mfa_tickets')
        .selectAll()
        .where('id_hash', '=', idHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where('failures', '<', TICKET_MAX_FAILURES)
        .executeTakeFirst();
    },

    /** Uses the ticket up, once: false when another request used it first (or it died meanwhile). */
    async consumeTicket(idHash: string, now: number, q: Q): Promise<boolean> {
      const r = await q
        .updateTable('mfa_tickets')
        .set({ used_at: now })
        .where('id_hash', '=', idHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where('failures', '<', TICKET_MAX_FAILURES)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Counts a wrong code against the ticket; returns the failures so far. */
    async ticketFailed(idHash: string): Promise<number> {
      await db
        .updateTable('mfa_tickets')
        .set((eb) => ({ failures: eb('failures', '+', 1) }))
        .where('id_hash', '=', idHash)
        .execute();
      const r = await db
        .selectFrom('mfa_tickets')
        .select('failures')
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
      return r?.failures ?? TICKET_MAX_FAILURES;
    },
  };
}

export type MfaStore = ReturnType<typeof createMfaStore>;
