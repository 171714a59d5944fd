import { Counter, type Registry } from 'prom-client';
import type { Audit } from '../audit/audit.js';

/**
 * Refresh-token series, counted from the audit stream (tokens/rotation.ts
 * writes a row for every outcome): rotations by outcome and reuse detections.
 * Returns what stops the observation.
 */
export function registerRefreshMetrics(registry: Registry, audit: Audit): () => void {
  const rotations = new Counter({
    name: 'tessera_refresh_rotations_total',
    help: 'Refresh-token rotations by outcome: rotated, grace_retry (the same token again within TESSERA_REFRESH_REUSE_GRACE_SECONDS), or the refusal code (SESSION_ENDED)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const reuse = new Counter({
    name: 'tessera_refresh_reuse_detections_total',
    help: 'Refresh tokens used again after rotation: the session was ended (REFRESH_REUSE)',
    registers: [registry],
  });
  // Zero from the start, so a rate() has a series before the first event.
  rotations.inc({ outcome: 'rotated' }, 0);
  reuse.inc(0);
  return (
    audit.observe?.((e) => {
      if (e.event === 'refresh.reuse') reuse.inc();
      else if (e.event === 'refresh')
        rotations.inc({
          outcome: e.outcome === 'success' ? (e.reason ?? 'rotated') : (e.reason ?? 'failure'),
        });
    }) ?? (() => {})
  );
}
