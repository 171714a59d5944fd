import type { TenantId } from '../db/scope.js';
import type { Unit } from '../db/unit.js';

/**
 * The audit trail (seed 004: "log every login attempt"; seed 003: "log failed
 * authentications"). Two ways in:
 *  - `write(unit, entry)`: the row of a state change (login, logout, session
 *    end, refresh, password change, admin action) goes into the change's own
 *    transaction, so an answered request never loses its trail and a crash
 *    never leaves a change without one;
 *  - `record(entry)`: events that change no SQL state (failed logins, captcha
 *    failures, alerts) are buffered and written in batches off the request
 *    path; recording never throws into a request and never blocks it, and a
 *    database outage delays them (bounded buffer) instead of dropping them.
 */
export type AuditOutcome = 'success' | 'failure' | 'info';

export interface AuditEntry {
  /** Whose trail (absent = the default tenant's); a tenant's Audit fills it in. */
  tenant?: TenantId | undefined;
  /** e.g. login.success, login.failure, logout, refresh, refresh.reuse, account.lock, admin.user.update */
  event: string;
  outcome: AuditOutcome;
  userId?: number | null;
  username?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  deviceId?: string | null;
  sessionId?: string | null;
  /** Machine-readable reason, e.g. an error code. */
  reason?: string | null;
  /** The administrator who acted, for admin.* events. */
  actorId?: number | null;
  data?: Record<string, unknown> | null;
}

/** An entry as stored: request facts filled in, time stamped. */
/** An entry as stored: when, and whose (absent = the default tenant). */
export type RecordedEntry = AuditEntry & { at: number };

export interface Audit {
  record(entry: AuditEntry): void;
  /** Inserts the entry inside `unit`'s transaction; observers hear of it after the commit. */
  write(unit: Unit, entry: AuditEntry): Promise<void>;
  /** Writes what is buffered (shutdown, tests). */
  flush(): Promise<void>;
  /**
   * Calls `fn` with every entry as it is recorded (anomaly detection, alerts).
   * Observers run after the entry is buffered and must not throw or block.
   * Returns a function that removes the observer.
   */
  observe?(fn: (e: RecordedEntry) => void): () => void;
}

/** One tenant's audit: every entry it records or writes is that tenant's. */
export function tenantAudit(sink: Audit, tenant: TenantId): Audit {
  return {
    record: (e) => sink.record({ ...e, tenant: e.tenant ?? tenant }),
    write: (u, e) => sink.write(u, { ...e, tenant }),
    flush: () => sink.flush(),
    // Observers (the anomaly detector) serve every tenant: they see every entry, each naming its tenant.
    ...(sink.observe ? { observe: (fn: (e: RecordedEntry) => void) => sink.observe!(fn) } : {}),
  };
}
