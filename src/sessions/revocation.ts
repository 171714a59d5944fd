import { sql, type Kysely } from 'kysely';
import type { Bus } from '../bus/bus.js';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';

export type RevocationKind = 'sid' | 'jti' | 'user';

export interface Revocation {
  kind: RevocationKind;
  value: string;
  /** For `user`: tokens issued (iat, ms) before this are refused. */
  notBefore?: number | null;
  /** When every token concerned has expired anyway; the entry can go then. */
  expiresAt: number;
}

/** Why a verified token is refused, or null. */
export type RevokedBecause = 'SESSION_ENDED' | 'TOKEN_REVOKED' | null;

const CHANNEL = 'revocations';

/**
 * The in-memory revocation set every node consults on every protected request
 * (a few Map lookups, no I/O). It is fed three ways:
 *  - locally, at once, by the node that revokes;
 *  - by the bus (Redis pub/sub) from other nodes, within milliseconds;
 *  - from SQL at start and after the bus reconnects, so a node that missed
 *    messages (down, partitioned) never accepts a revoked token.
 * Entries leave when the tokens they revoke would have expired anyway.
 */
export function createRevocationList(db: Kysely<Database>, bus: Bus, clock: Clock) {
  const sids = new Map<string, number>();
  const jtis = new Map<string, number>();
  const users = new Map<string, { notBefore: number; exp: number }>();
  let sweeper: NodeJS.Timeout | undefined;
  const listeners = new Set<(r: Revocation) => void>();

  function apply(r: Revocation): void {
    if (r.expiresAt <= clock.now()) return;
    if (r.kind === 'sid') sids.set(r.value, Math.max(r.expiresAt, sids.get(r.value) ?? 0));
    else if (r.kind === 'jti') jtis.set(r.value, Math.max(r.expiresAt, jtis.get(r.value) ?? 0));
    else {
      const prev = users.get(r.value);
      const nb = Math.max(r.notBefore ?? 0, prev?.notBefore ?? 0);
      users.set(r.value, { notBefore: nb, exp: Math.max(r.expiresAt, prev?.exp ?? 0) });
    }
    for (const l of listeners) l(r);
  }

  async function load(): Promise<void> {
    const rows = await db.selectFrom('revocations').selectAll().where('expires_at', '>', clock.now()).execute();
    for (const row of rows) apply({ kind: row.kind as RevocationKind, value: row.value, notBefore: row.not_before, expiresAt: row.expires_at });
  }

  function sweep(): void {
    const now = clock.now();
    for (const [k, exp] of sids) if (exp <= now) sids.delete(k);
    for (const [k, exp] of jtis) if (exp <= now) jtis.delete(k);
    for (const [k, v] of users) if (v.exp <= now) users.delete(k);
  }

  return {
    async start(): Promise<void> {
      bus.subscribe(CHANNEL, (m) => apply(m as Revocation));
      bus.onResync(() => void load().catch(() => {}));
      // Subscribed before loading, so nothing published in between is missed.
      await bus.ready?.();
      await load();
      sweeper = setInterval(sweep, 30_000);
      sweeper.unref();
    },
    stop(): void {
      if (sweeper) clearInterval(sweeper);
    },
    /** Persist, apply here at once, broadcast to the other nodes. */
    async revoke(r: Revocation): Promise<void> {
      const id = `${r.kind}:${r.value}`;
      const now = clock.now();
      // One upsert (PostgreSQL and SQLite): concurrent revocations of the same
      // id (a double click, two nodes) both succeed, and the row keeps the
      // later end and cut-off, like the in-memory merge in apply().
      await db
        .insertInto('revocations')
        .values({ id, kind: r.kind, value: r.value, not_before: r.notBefore ?? null, expires_at: r.expiresAt, created_at: now })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            expires_at: sql<number>`case when excluded.expires_at > revocations.expires_at then excluded.expires_at else revocations.expires_at end`,
            not_before: sql<number | null>`case when revocations.not_before is null or excluded.not_before > revocations.not_before then excluded.not_before else revocations.not_before end`,
          }),
        )
        .execute();
      apply(r);
      await bus.publish(CHANNEL, r);
    },
    /** Hot path. `iatSec` is the token's iat. */
    check(sid: string, jti: string, sub: string, iatSec: number): RevokedBecause {
      if (sids.size && sids.has(sid)) return 'SESSION_ENDED';
      if (jtis.size && jtis.has(jti)) return 'TOKEN_REVOKED';
      if (users.size) {
        const u = users.get(sub);
        // iat has whole seconds and notBefore is the second after the change
        // (nextUserCutoff): a token minted earlier in the same second is refused
        // too, and the issuer stamps tokens minted after the change with notBefore.
        if (u && iatSec * 1000 < u.notBefore) return 'TOKEN_REVOKED';
      }
      return null;
    },
    isSessionRevoked: (sid: string): boolean => sids.has(sid),
    /** For the issuer: the user's tokens must have iat (ms) at or after this, or null. */
    userNotBefore: (sub: string): number | null => users.get(sub)?.notBefore ?? null,
    /**
     * The `notBefore` of a new per-user revocation: the first whole second
     * after every token this user may already hold, including tokens the
     * issuer stamped ahead after an earlier revocation in the same second.
     */
    nextUserCutoff(sub: string): number {
      const prev = users.get(sub)?.notBefore;
      const sec = Math.max(Math.floor(clock.now() / 1000) + 1, prev !== undefined ? Math.ceil(prev / 1000) + 1 : 0);
      return sec * 1000;
    },
    onRevoke(fn: (r: Revocation) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Deletes rows whose tokens have all expired. */
    prune: () => db.deleteFrom('revocations').where('expires_at', '<=', clock.now()).execute(),
    size: () => ({ sids: sids.size, jtis: jtis.size, users: users.size }),
    load,
    sweep,
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;
