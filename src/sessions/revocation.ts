import { sql, type Kysely } from 'kysely';
import type { Bus } from '../bus/bus.js';
import { inUnit, type Unit } from '../db/unit.js';
import { sqlNowMs } from '../db/now.js';
import type { Database, Dialect } from '../db/types.js';
import type { Clock } from '../lib/clock.js';

export type RevocationKind = 'sid' | 'jti' | 'user';

export interface Revocation {
  kind: RevocationKind;
  value: string;
  /** For `user`: tokens issued (iat, ms) before this are refused. */
  notBefore?: number | null;
  /** When every token concerned has expired anyway; the entry can go then. */
  expiresAt: number;
  /**
   * The tenant whose session, token or user this is, when the revoking node said so (the
   * revocation feed filters by it); absent when read back from SQL by a poll or a load.
   */
  tenant?: string;
}

/** Why a verified token is refused, or null. */
export type RevokedBecause = 'SESSION_ENDED' | 'TOKEN_REVOKED' | null;

const CHANNEL = 'revocations';
/**
 * A poll re-reads rows changed this long before the newest it has seen, so a
 * transaction that stamped `changed_at` and committed later is still read.
 * `changed_at` is the database's clock, so node clock skew does not matter.
 * Re-applying is idempotent.
 */
const POLL_OVERLAP_MS = 2000;

export interface RevocationOptions {
  dialect: Dialect;
  /** How often to read new revocations from SQL (0 = only at start and on resync). */
  pollMs?: number;
  /** Longest life of an access token (TTL + skew), for sessions ended without a revocation row. */
  maxTokenLifetimeMs?: () => number;
  /** A background read or a publish failed (logged and counted by the caller; never thrown). */
  onError?: (e: unknown) => void;
}

/**
 * The in-memory revocation set every node consults on every protected request
 * (a few Map lookups, no I/O). It is fed four ways:
 *  - locally, once the revoking transaction has committed;
 *  - by the bus (Redis pub/sub) from other nodes, within milliseconds;
 *  - by a poll of SQL every `pollMs` (rows changed since the last poll, by an
 *    indexed instant), so a revocation whose publish was lost (Redis down, a
 *    node killed right after its commit) reaches every node within `pollMs`;
 *  - from SQL at start and after the bus reconnects, so a node that missed
 *    messages (down, partitioned) never accepts a revoked token.
 * Entries leave when the tokens they revoke would have expired anyway.
 */
export function createRevocationList(
  db: Kysely<Database>,
  bus: Bus,
  clock: Clock,
  opts: RevocationOptions,
) {
  const dbNow = sqlNowMs(opts.dialect);
  const sids = new Map<string, number>();
  const jtis = new Map<string, number>();
  const users = new Map<string, { notBefore: number; exp: number }>();
  let sweeper: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  let polling = false;
  /** Newest `changed_at` read so far. */
  let cursor = 0;
  const listeners = new Set<(r: Revocation) => void>();
  const report = opts.onError ?? (() => {});

  function apply(r: Revocation): void {
    if (r.expiresAt <= clock.now()) return;
    if (r.kind === 'sid') {
      const prev = sids.get(r.value);
      if (prev !== undefined && prev >= r.expiresAt) return;
      sids.set(r.value, r.expiresAt);
    } else if (r.kind === 'jti') {
      const prev = jtis.get(r.value);
      if (prev !== undefined && prev >= r.expiresAt) return;
      jtis.set(r.value, r.expiresAt);
    } else {
      const prev = users.get(r.value);
      const nb = Math.max(r.notBefore ?? 0, prev?.notBefore ?? 0);
      const exp = Math.max(r.expiresAt, prev?.exp ?? 0);
      if (prev && prev.notBefore === nb && prev.exp === exp) return;
      users.set(r.value, { notBefore: nb, exp });
    }
    for (const l of listeners) l(r);
  }

  type Row = {
    kind: string;
    value: string;
    not_before: number | null;
    expires_at: number;
    changed_at: number;
  };
  function applyRows(rows: Row[]): void {
    for (const row of rows) {
      apply({
        kind: row.kind as RevocationKind,
        value: row.value,
        notBefore: row.not_before,
        expiresAt: row.expires_at,
      });
      if (row.changed_at > cursor) cursor = row.changed_at;
    }
  }

  async function load(): Promise<void> {
    const now = clock.now();
    const at = await sql<{ t: number }>`select ${dbNow} as t`.execute(db);
    const dbAt = Number(at.rows[0]?.t ?? 0);
    applyRows(
      await db
        .selectFrom('revocations')
        .select(['kind', 'value', 'not_before', 'expires_at', 'changed_at'])
        .where('expires_at', '>', now)
        .execute(),
    );
    // Defence in depth: a session ended without its revocation row (a
    // version before ending and revoking shared a transaction) is revoked
    // for as long as its tokens can live.
    const life = opts.maxTokenLifetimeMs?.();
    if (life) {
      const ended = await db
        .selectFrom('sessions')
        .select(['id', 'ended_at'])
        .where('ended_at', '>', now - life)
        .execute();
      for (const s of ended) apply({ kind: 'sid', value: s.id, expiresAt: s.ended_at! + life });
    }
    cursor = Math.max(cursor, dbAt);
  }

  async function poll(): Promise<void> {
    const since = cursor - POLL_OVERLAP_MS;
    applyRows(
      await db
        .selectFrom('revocations')
        .select(['kind', 'value', 'not_before', 'expires_at', 'changed_at'])
        .where('changed_at', '>', since)
        .execute(),
    );
  }

  function pollLater(): void {
    if (!opts.pollMs) return;
    poller = setTimeout(() => {
      if (polling) return pollLater();
      polling = true;
      poll()
        .catch(report)
        .finally(() => {
          polling = false;
          if (poller) pollLater();
        });
    }, opts.pollMs);
    poller.unref();
  }

  function sweep(): void {
    const now = clock.now();
    for (const [k, exp] of sids) if (exp <= now) sids.delete(k);
    for (const [k, exp] of jtis) if (exp <= now) jtis.delete(k);
    for (const [k, v] of users) if (v.exp <= now) users.delete(k);
  }

  /** Writes the row inside `u`; applies and broadcasts once `u` has committed. */
  async function persist(u: Unit, r: Revocation): Promise<void> {
    const id = `${r.kind}:${r.value}`;
    const now = clock.now();
    const changed = dbNow;
    // One upsert (PostgreSQL and SQLite): concurrent revocations of the same
    // id (a double click, two nodes) both succeed, and the row keeps the
    // later end and cut-off, like the in-memory merge in apply().
    await u.tx
      .insertInto('revocations')
      .values({
        id,
        kind: r.kind,
        value: r.value,
        not_before: r.notBefore ?? null,
        expires_at: r.expiresAt,
        created_at: now,
        changed_at: changed,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          expires_at: sql<number>`case when excluded.expires_at > revocations.expires_at then excluded.expires_at else revocations.expires_at end`,
          not_before: sql<
            number | null
          >`case when revocations.not_before is null or excluded.not_before > revocations.not_before then excluded.not_before else revocations.not_before end`,
          changed_at: sql<number>`excluded.changed_at`,
        }),
      )
      .execute();
    u.afterCommit(() => {
      apply(r);
      // Not awaited: the revocation is durable and applied here; the other
      // nodes hear it by pub/sub within milliseconds, or by their next poll
      // when Redis cannot carry it. A request never waits for Redis here.
      bus.publish(CHANNEL, r).catch(report);
    });
  }

  return {
    async start(): Promise<void> {
      bus.subscribe(CHANNEL, (m) => apply(m as Revocation));
      bus.onResync(() => void load().catch(report));
      // Subscribed before loading, so nothing published in between is missed.
      await bus.ready?.();
      await load();
      sweeper = setInterval(sweep, 30_000);
      sweeper.unref();
      pollLater();
    },
    stop(): void {
      if (sweeper) clearInterval(sweeper);
      if (poller) clearTimeout(poller);
      poller = undefined;
    },
    persist,
    /** Persist (in `u`, or a transaction of its own), apply here, broadcast to the other nodes. */
    revoke: (r: Revocation, u?: Unit): Promise<void> =>
      inUnit(db, (unit) => persist(unit, r), u, report),
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
      const sec = Math.max(
        Math.floor(clock.now() / 1000) + 1,
        prev !== undefined ? Math.ceil(prev / 1000) + 1 : 0,
      );
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
    poll,
    sweep,
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;
