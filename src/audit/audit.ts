/**
 * The audit trail (seed 004: "log every login attempt"; seed 003: "log failed
 * authentications"). Events are written to SQL in small batches off the
 * request path; recording never throws into a request and never blocks it.
 */
export type AuditOutcome = 'success' | 'failure' | 'info';

export interface AuditEntry {
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
export type RecordedEntry = AuditEntry & { at: number };

export interface Audit {
  record(entry: AuditEntry): void;
  /** Writes what is buffered (shutdown, tests). */
  flush(): Promise<void>;
  /**
   * Calls `fn` with every entry as it is recorded (anomaly detection, alerts).
   * Observers run after the entry is buffered and must not throw or block.
   * Returns a function that removes the observer.
   */
  observe?(fn: (e: RecordedEntry) => void): () => void;
}

/** Request facts every audited action carries. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
  deviceId?: string | null;
  deviceName?: string | null;
}
