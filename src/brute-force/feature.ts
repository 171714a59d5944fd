import { DEFAULT_TENANT } from '../db/scope.js';
import type { LoginAttempt, LoginGuard } from '../login/guard.js';
import { createAltchaProvider } from '../captcha/altcha.js';
import { createCaptchaCheck } from '../captcha/check.js';
import type { CaptchaProvider } from '../captcha/provider.js';
import { captchaRoutes } from '../captcha/routes.js';
import { createTurnstileProvider } from '../captcha/turnstile.js';
import { need, type Core, type Feature } from '../feature/contract.js';
import { sharedSecret } from '../infra/secrets.js';
import { securityDb } from '../infra/tables.js';
import { fail, isTesseraError } from '../lib/errors.js';
import { createFallbackCounters } from '../counters/fallback.js';
import { createMemoryCounters } from '../counters/memory.js';
import { createRedisCounters } from '../counters/redis.js';
import type { CounterStore } from '../counters/store.js';
import { BRUTE_FORCE_ERRORS } from './errors.js';
import { bruteForceSteps } from './login-steps.js';
import { registerBruteForceMetrics } from './metrics.js';
import { createBruteForcePolicy, degradedPolicy, type BruteForcePolicy } from './policy.js';
import { unlockRoutes } from './unlock-routes.js';

export interface BruteForceServices {
  store: CounterStore;
  policy: BruteForcePolicy;
  captcha: CaptchaProvider;
}

declare module '../feature/contract.js' {
  interface FeatureServices {
    bruteForce: BruteForceServices;
  }
}

/**
 * A counter store that cannot answer (Redis down) refuses the login with 503
 * rather than waving it through: brute-force protection fails closed.
 */
export function failClosed(g: LoginGuard, log: Core['log']): LoginGuard {
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

async function provider(core: Core): Promise<CaptchaProvider> {
  const c = core.config;
  if (c.captchaProvider === 'turnstile')
    return createTurnstileProvider({
      secret: c.turnstileSecret ?? '',
      verifyUrl: c.turnstileVerifyUrl,
    });
  const hmacKey =
    c.altchaHmacKey ??
    (await sharedSecret(securityDb(core.sql.shared), core.clock, 'altcha-hmac-key', core.sealer));
  return createAltchaProvider({ hmacKey, clock: core.clock });
}

/**
 * Seed 004's ladder: failure counters per account, per account and IP and
 * per IP, the captcha challenge, locks, and the unlock route. Places its
 * guard in the login pipeline and provides the captcha check register uses.
 * See docs/decisions/0006-brute-force-and-audit.md.
 */
export const bruteForceFeature: Feature = {
  name: 'brute-force',
  needs: ['alerts'],
  errors: BRUTE_FORCE_ERRORS,
  async start({ core, services }) {
    const { config, clock, audit, settings } = core;
    // With Redis: shared counters, and this node's memory while Redis is down.
    const shared = core.redis
      ? createFallbackCounters(
          createRedisCounters(core.redis, `${config.redisPrefix}sec:`),
          createMemoryCounters(),
          core.health,
        )
      : undefined;
    const store: CounterStore = shared ?? createMemoryCounters();
    const captchaProvider = await provider(core);
    const captcha = createCaptchaCheck({ provider: captchaProvider, store, clock, audit });
    const policy = createBruteForcePolicy({
      store,
      // The attempt's tenant's thresholds (its settings fall back to the deployment's).
      settings: async (tenant) => {
        const s =
          !tenant || tenant === DEFAULT_TENANT
            ? settings.get()
            : (await core.tenantCore(tenant)).settings.get();
        return shared?.degraded() ? degradedPolicy(s) : s;
      },
      clock,
      captcha,
      audit,
      alerts: need(services, 'alerts'),
    });
    const unobserve = registerBruteForceMetrics(core.metrics.registry, audit);
    return {
      provides: { bruteForce: { store, policy, captcha: captchaProvider }, captcha },
      stop: unobserve,
      loginSteps: bruteForceSteps({ guard: failClosed(policy, core.log), audit }),
      routes: () => [
        {
          api: async (app) => {
            await app.register(captchaRoutes(captchaProvider));
            await app.register(unlockRoutes(policy));
          },
        },
      ],
    };
  },
};
