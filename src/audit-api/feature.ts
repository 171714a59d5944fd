import type { Feature } from '../feature/contract.js';
import { createAuditRetention } from './retention.js';
import { auditRoutes } from './routes.js';

declare module '../feature/contract.js' {
  interface FeatureServices {
    auditRetention: ReturnType<typeof createAuditRetention>;
  }
}

/** The audit API (`<ctx>/admin/audit`) and the retention job that prunes old rows. */
export const auditFeature: Feature = {
  name: 'audit',
  start({ core }) {
    const retention = createAuditRetention({
      db: core.sql.all('audit retention prunes old rows of every tenant'),
      clock: core.clock,
      retentionDays: () => core.settings.get().auditRetentionDays,
      log: core.log,
    });
    retention.start();
    return {
      provides: { auditRetention: retention },
      routes: () => [{ api: auditRoutes(core.sql.scope) }],
      stop: () => retention.stop(),
    };
  },
};
