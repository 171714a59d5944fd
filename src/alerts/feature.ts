import type { Feature } from '../feature/contract.js';
import { sharedSecret } from '../infra/secrets.js';
import { securityDb } from '../infra/tables.js';
import { startDetector } from './detector.js';
import { createKnownDevices } from './known-devices.js';
import { createAlerts, type Alerts } from './service.js';
import { createWebhookSender, registerWebhookMetrics, type WebhookSender } from './webhook.js';

declare module '../feature/contract.js' {
  interface FeatureServices {
    alerts: Alerts;
    webhooks: WebhookSender;
  }
}

/**
 * Seed 004's login alerts: anomaly detection over the audit stream (new
 * device, new country of IP, bursts) and signed webhooks.
 */
export const alertsFeature: Feature = {
  name: 'alerts',
  async start({ core }) {
    const { config, clock, log, audit } = core;
    const webhooks = createWebhookSender({
      urls: config.alertWebhookUrls,
      secret: config.alertWebhookSecret,
      clock,
      log: log.child({ mod: 'alerts' }),
    });
    registerWebhookMetrics(core.metrics.registry, webhooks);
    const alerts = createAlerts({ audit, webhooks, clock });
    const devices = createKnownDevices(
      core.sql.scope,
      await sharedSecret(securityDb(core.sql.shared), clock, 'device-hash-key', core.sealer),
    );
    const stopDetector = startDetector({
      audit,
      alerts,
      devices,
      onError: (err) => log.warn({ err }, 'anomaly detection failed'),
    });
    return {
      provides: { alerts, webhooks },
      async stop() {
        await stopDetector();
        // Give queued alerts a moment to leave, then drop the rest.
        await Promise.race([webhooks.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
        await webhooks.stop();
      },
    };
  },
};
