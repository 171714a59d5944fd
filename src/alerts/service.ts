import type { TenantId } from '../db/scope.js';
import type { Audit } from '../audit/audit.js';
import type { Clock } from '../lib/clock.js';
import type { WebhookSender } from './webhook.js';

/** What can raise an alert; each kind is also an audit event `alert.<kind>`. */
export type AlertKind =
  | 'new_device'
  | 'new_ip'
  | 'credential_stuffing'
  | 'refresh_reuse'
  | 'account_locked'
  | 'mfa_disabled'
  | 'mfa_recovery_code_used';

export interface AlertInput {
  kind: AlertKind;
  userId?: number | null;
  username?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  deviceId?: string | null;
  sessionId?: string | null;
  data?: Record<string, unknown>;
  /** The tenant whose audit trail records the alert (absent = default). */
  tenant?: TenantId | undefined;
}

export interface Alerts {
  /** Records `alert.<kind>` in the audit log and queues the webhooks; never blocks, never throws. */
  raise(a: AlertInput): void;
}

export function createAlerts(d: { audit: Audit; webhooks: WebhookSender; clock: Clock }): Alerts {
  return {
    raise(a) {
      const event = `alert.${a.kind}`;
      d.audit.record({
        tenant: a.tenant,
        event,
        outcome: 'info',
        userId: a.userId ?? null,
        username: a.username ?? null,
        ip: a.ip ?? null,
        userAgent: a.userAgent ?? null,
        deviceId: a.deviceId ?? null,
        sessionId: a.sessionId ?? null,
        data: a.data ?? null,
      });
      d.webhooks.send(event, {
        type: event,
        kind: a.kind,
        // Whose alert: one receiver may serve many tenants.
        tenant: a.tenant ?? 'default',
        at: new Date(d.clock.now()).toISOString(),
        user_id: a.userId ?? null,
        username: a.username ?? null,
        ip: a.ip ?? null,
        user_agent: a.userAgent ?? null,
        device_id: a.deviceId ?? null,
        session_id: a.sessionId ?? null,
        data: a.data ?? {},
      });
    },
  };
}
