import type { FastifyInstance } from 'fastify';
import { ipRateLimit } from './ip-limit-hooks.js';
import type { LimiterFactory } from '../rate-limit/limiter.js';

/** Public routes outside `<ctx>/public/`: seed 000's login at the root. */
const SEED_LOGIN = new Set(['/auth/login']);

export interface RequestBudgetDeps {
  limiters: LimiterFactory;
  contextPath: string;
  /** Requests per IP per minute on each public endpoint (read per request). */
  publicPerMinute: () => number;
  onStoreError: (e: unknown) => void;
}

/**
 * Global hooks, installed before any route exists so every route inherits them:
 *  - a per-IP request budget on every anonymous `<ctx>/public/**` route, seed
 *    000's `/auth/login`, and any route declaring `config: { ipRateLimit: '<name>' }`.
 * (Request facts reach the audit explicitly, as arguments: no AsyncLocalStorage,
 * which on Node 20 turns on promise hooks for every request in the process.)
 */
export function installRequestBudgets(app: FastifyInstance, d: RequestBudgetDeps): void {
  const publicPrefix = `${d.contextPath}/public/`;
  const hooks = new Map<string, ReturnType<typeof ipRateLimit>>();
  const hookFor = (name: string) => {
    let h = hooks.get(name);
    if (!h)
      hooks.set(
        name,
        (h = ipRateLimit(d.limiters, name, {
          points: d.publicPerMinute,
          durationSec: 60,
          onStoreError: d.onStoreError,
        })),
      );
    return h;
  };

  app.addHook('onRoute', (route) => {
    const url = route.url ?? '';
    // Anonymous routes only: a token-bearing call (/me, /logout) is already authenticated and not a guessing surface.
    const anonymous = route.config?.auth !== 'jwt';
    const name =
      route.config?.ipRateLimit ??
      (anonymous && (url.startsWith(publicPrefix) || SEED_LOGIN.has(url))
        ? `public:${url}`
        : undefined);
    if (!name) return;
    const existing = route.onRequest
      ? Array.isArray(route.onRequest)
        ? route.onRequest
        : [route.onRequest]
      : [];
    // First: a flood is refused before any token check or body parsing.
    route.onRequest = [hookFor(name), ...existing];
  });
}
