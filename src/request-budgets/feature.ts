import type { Feature } from '../feature/contract.js';
import { installRequestBudgets } from './request-budget-hooks.js';

/** Floor of the per-IP, per-endpoint public request budget (requests per minute). */
const PUBLIC_REQUESTS_PER_MINUTE = 120;

/**
 * Per-IP request budgets on public routes. They fall back to this node's
 * memory while Redis is down (rate-limiter-flexible's insurance limiter);
 * any other store error is reported.
 */
export const requestBudgetFeature: Feature = {
  name: 'request-budgets',
  start({ core }) {
    return {
      routes: () => [
        {
          setup: (app) =>
            installRequestBudgets(app, {
              limiters: core.limiters,
              contextPath: core.config.contextPath,
              // Raising the login budget (load tests, large NATs) raises this one with it.
              publicPerMinute: () =>
                Math.max(PUBLIC_REQUESTS_PER_MINUTE, core.settings.get().loginAttemptsPerIpPerHour),
              onStoreError: (err) => core.report(err, 'rate limiter'),
            }),
        },
      ],
    };
  },
};
