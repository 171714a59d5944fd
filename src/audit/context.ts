import { AsyncLocalStorage } from 'node:async_hooks';

/** Request facts available to anything recorded while the request runs. */
export interface AuditContext {
  ip: string;
  userAgent: string | null;
  deviceId: string | null;
}

/**
 * Some events are recorded deep in services that never see the request
 * (sessions.end, admin helpers). The security module enters this context for
 * every request, and the audit sink fills in whatever IP, user agent or
 * device an entry left out, so every row says who and from where.
 */
export const auditContext = new AsyncLocalStorage<AuditContext>();

export function currentRequest(): AuditContext | undefined {
  return auditContext.getStore();
}
