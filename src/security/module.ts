import { createAlerts, type Alerts } from '../alerts/service.js';
import { startDetector } from '../alerts/detector.js';
import { createKnownDevices } from '../alerts/known-devices.js';
import { createWebhookSender, type WebhookSender } from '../alerts/webhook.js';
import { createAuditRetention } from '../audit/retention.js';
import { auditRoutes } from '../audit/routes.js';
import { createAltchaProvider } from '../captcha/altcha.js';
import { createCaptchaCheck } from '../captcha/check.js';
import type { CaptchaProvider } from '../captcha/provider.js';
import { captchaRoutes } from '../captcha/routes.js';
import { createTurnstileProvider } from '../captcha/turnstile.js';
import type { LoginAttempt, LoginGuard } from '../auth/guard.js';
import { fail, isTesseraError } from '../lib/errors.js';
import type { TesseraModule } from '../modules.js';
import { createMemoryCounters } from '../brute-force/counters/memory.js';
import { createFallbackCounters } from '../brute-force/counters/fallback.js';
import { createRedisCounters } from '../brute-force/counters/redis.js';
import type { CounterStore } from '../brute-force/counters/store.js';
import {
  createBruteForcePolicy,
  degradedPolicy,
  type BruteForcePolicy,
} from '../brute-force/policy.js';
import { unlockRoutes } from '../brute-force/unlock-routes.js';
import type { Runtime } from '../runtime.js';
import { installSecurityHooks } from './hooks.js';
import { sharedSecret } from '../infra/secrets.js';
import { securityDb } from '../infra/tables.js';

/** Floor of the per-IP, per-endpoint public request budget (requests per minute). */
const PUBLIC_REQUESTS_PER_MINUTE = 120;

export interface SecurityServices {
  store: CounterStore;
  policy: BruteForcePolicy;
  captcha: CaptchaProvider;
  alerts: Alerts;
  webhooks: WebhookSender;
  retention: ReturnType<typeof createAuditRetention>;
}

const services = new WeakMap<Runtime, SecurityServices>();

/** This node's security services (tests, other modules); undefined before init. */
export function securityOf(rt: Runtime): SecurityServices | undefined {
  return services.get(rt);
}

/**
 * A counter store that cannot answer (Redis down) refuses the login with 503
 * rather than waving it through: brute-force protection fails closed.
 */
export function failClosed(g: LoginGuard, log: Runtime['log']): LoginGuard {
  const wrap =
    (fn: (a: LoginAttempt) => Promise<void>) =>
    async (a: LoginAttempt): Promise<void> => {
      try {
        await fn(a);
      } catch (e) {
        if (isTesseraError(e)) throw e;
        log.error({ err: e }, 'login policy store failed');
        fail('UNAVAILABLE');
      }
    };
  return { before: wrap(g.before), failed: wrap(g.failed), succeeded: wrap(g.succeeded) };
}

async function provider(rt: Runtime): Promise<CaptchaProvider> {
  const c = rt.config;
  if (c.captchaProvider === 'turnstile')
    return createTurnstileProvider({
      secret: c.turnstileSecret ?? '',
      verifyUrl: c.turnstileVerifyUrl,
    });
  const hmacKey =
    c.altchaHmacKey ?? (await sharedSecret(securityDb(rt.db.kysely), rt.clock, 'altcha-hmac-key'));
  return createAltchaProvider({ hmacKey, clock: rt.clock });
}

/**
 * Issue 6: brute-force policy (counters, captcha, locks), human verification,
 * audit API and retention, anomaly alerts. Installs rt.hooks.guard and
 * rt.hooks.captcha; see docs/decisions/0006-brute-force-and-audit.md.
 */
export const securityModule: TesseraModule = {
  name: 'security',
  async init(rt) {
    const { config, clock, log } = rt;
    const sdb = securityDb(rt.db.kysely);
    // With Redis: shared counters, and this node's memory while Redis is down.
    const shared = rt.redis
      ? createFallbackCounters(
          createRedisCounters(rt.redis, `${config.redisPrefix}sec:`),
          createMemoryCounters(),
          rt.health,
        )
      : undefined;
    const store: CounterStore = shared ?? createMemoryCounters();
    const captchaProvider = await provider(rt);
    const captcha = createCaptchaCheck({
      provider: captchaProvider,
      store,
      clock,
      audit: rt.audit,
    });
    const webhooks = createWebhookSender({
      urls: config.alertWebhookUrls,
      secret: config.alertWebhookSecret,
      clock,
      log: log.child({ mod: 'alerts' }),
    });
    const alerts = createAlerts({ audit: rt.audit, webhooks, clock });
    const policy = createBruteForcePolicy({
      store,
      settings: () => (shared?.degraded() ? degradedPolicy(rt.settings.get()) : rt.settings.get()),
      clock,
      captcha,
      audit: rt.audit,
      alerts,
    });
    rt.hooks.guard = failClosed(policy, log);
    rt.hooks.captcha = captcha;

    const devices = createKnownDevices(
      rt.db.kysely,
      await sharedSecret(sdb, clock, 'device-hash-key'),
    );
    const stopDetector = startDetector({
      audit: rt.audit,
      alerts,
      devices,
      onError: (err) => log.warn({ err }, 'anomaly detection failed'),
    });
    const retention = createAuditRetention({
      db: rt.db.kysely,
      clock,
      retentionDays: () => rt.settings.get().auditRetentionDays,
      log,
    });
    retention.start();
    rt.onClose(async () => {
      await stopDetector();
      await retention.stop();
      // Give queued alerts a moment to leave, then drop the rest.
      await Promise.race([webhooks.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
      await webhooks.stop();
    });
    services.set(rt, { store, policy, captcha: captchaProvider, alerts, webhooks, retention });

    // Per-IP request budgets fall back to this node's memory while Redis is
    // down (rate-limiter-flexible's insurance limiter); anything else is logged.
    const onStoreError = (err: unknown) => rt.report(err, 'rate limiter');
    return [
      {
        setup: (app) =>
          installSecurityHooks(app, {
            limiters: rt.limiters,
            contextPath: config.contextPath,
            // Raising the login budget (load tests, large NATs) raises this one with it.
            publicPerMinute: () =>
              Math.max(PUBLIC_REQUESTS_PER_MINUTE, rt.settings.get().loginAttemptsPerIpPerHour),
            onStoreError,
          }),
        api: async (app) => {
          await app.register(captchaRoutes(captchaProvider));
          await app.register(auditRoutes(rt.db.kysely));
          await app.register(unlockRoutes(rt, policy));
        },
      },
    ];
  },
};
