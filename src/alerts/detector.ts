import type { Audit, RecordedEntry } from '../audit/audit.js';
import type { AlertKind, Alerts } from './service.js';
import { networkOf, type createKnownDevices } from './known-devices.js';

export interface DetectorDeps {
  audit: Audit;
  alerts: Alerts;
  devices: ReturnType<typeof createKnownDevices>;
  onError: (e: unknown) => void;
}

/**
 * Anomalies read off the audit stream, after the fact and off the request
 * path (a slow check never delays a login):
 *  - login.success from a device or network never seen for that user → new_device / new_ip;
 *  - refresh.reuse (a rotated refresh token presented again: likely theft) → refresh_reuse;
 *  - mfa.disable / mfa.reset (a second factor turned off, by its user or an admin) → mfa_disabled;
 *  - mfa.recovery_code_used (the phone may be lost, or the codes stolen) → mfa_recovery_code_used.
 * Locks and credential stuffing are raised by the login policy itself, which
 * holds those counters. Returns a stop function that waits for checks in flight.
 */
export function startDetector(d: DetectorDeps): () => Promise<void> {
  async function onLogin(e: RecordedEntry & { userId: number }): Promise<void> {
    const facts = {
      tenant: e.tenant,
      userId: e.userId,
      username: e.username ?? null,
      ip: e.ip ?? null,
      userAgent: e.userAgent ?? null,
      deviceId: e.deviceId ?? null,
      sessionId: e.sessionId ?? null,
    };
    const device = e.deviceId ? `id:${e.deviceId}` : e.userAgent ? `ua:${e.userAgent}` : undefined;
    if (device && (await d.devices.sight(e.userId, 'device', device, e.at, e.tenant)) === 'new') {
      d.alerts.raise({
        ...facts,
        kind: 'new_device',
        data: { by: e.deviceId ? 'device_id' : 'user_agent' },
      });
    }
    if (
      e.ip &&
      (await d.devices.sight(e.userId, 'ip', networkOf(e.ip), e.at, e.tenant)) === 'new'
    ) {
      d.alerts.raise({ ...facts, kind: 'new_ip', data: { network: networkOf(e.ip) } });
    }
  }

  const SECOND_FACTOR = new Map<string, AlertKind>([
    ['mfa.disable', 'mfa_disabled'],
    ['mfa.reset', 'mfa_disabled'],
    ['mfa.recovery_code_used', 'mfa_recovery_code_used'],
  ]);

  const pending = new Set<Promise<void>>();
  const stop = d.audit.observe?.((e) => {
    if (e.event === 'login.success' && typeof e.userId === 'number') {
      const p = onLogin(e as RecordedEntry & { userId: number }).catch(d.onError);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    } else if (e.event === 'refresh.reuse') {
      d.alerts.raise({
        tenant: e.tenant,
        kind: 'refresh_reuse',
        userId: e.userId ?? null,
        ip: e.ip ?? null,
        userAgent: e.userAgent ?? null,
        deviceId: e.deviceId ?? null,
        sessionId: e.sessionId ?? null,
        data: { session_ended: true },
      });
    } else if (SECOND_FACTOR.has(e.event) && e.outcome === 'success') {
      d.alerts.raise({
        tenant: e.tenant,
        kind: SECOND_FACTOR.get(e.event)!,
        userId: e.userId ?? null,
        username: e.username ?? null,
        ip: e.ip ?? null,
        userAgent: e.userAgent ?? null,
        deviceId: e.deviceId ?? null,
        data: { event: e.event, ...(e.actorId ? { actor_id: e.actorId } : {}), ...e.data },
      });
    }
  });
  if (!stop)
    throw new Error('the audit sink cannot be observed: anomaly detection needs Audit.observe');
  return async () => {
    stop();
    await Promise.all(pending);
  };
}
