import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { auditContext } from '../audit/context.js';
import { requestMeta } from '../http/request-meta.js';
import { ipRateLimit } from '../rate-limit/ip-limit.js';
import type { LimiterFactory } from '../rate-limit/limiter.js';

/** Public routes outside `<ctx>/public/`: seed 000's login at the root. */
const SEED_LOGIN = new Set(['/auth/login']);

export interface SecurityHookDeps {
  limiters: LimiterFactory;
  contextPath: string;
  /** Requests per IP per minute on each public endpoint (read per request). */
  publicPerMinute: () => number;
  onStoreError: (e: unknown) => void;
}

/**
 * Global hooks, installed before any route exists so every route inherits them:
 *  - a per-IP request budget on every anonymous `<ctx>/public/**` route, seed
 *    000's `/auth/login`, and any route declaring `config: { ipRateLimit: '<name>' }`;
 *  - the audit request context (IP, user agent, device) around every handler.
 */
export function installSecurityHooks(app: FastifyInstance, d: SecurityHookDeps): void {
  const publicPrefix = `${d.contextPath}/public/`;
  const hooks = new Map<string, ReturnType<typeof ipRateLimit>>();
  const hookFor = (name: string) => {
    let h = hooks.get(name);
    if (!h) hooks.set(name, (h = ipRateLimit(d.limiters, name, { points: d.publicPerMinute, durationSec: 60, onStoreError: d.onStoreError })));
    return h;
  };

  function enterAuditContext(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const body = req.body && typeof req.body === 'object' ? (req.body as { device_id?: string; device_name?: string }) : undefined;
    const m = requestMeta(req, body ? { device_id: typeof body.device_id === 'string' ? body.device_id : undefined } : undefined);
    auditContext.run({ ip: m.ip, userAgent: m.userAgent, deviceId: m.deviceId ?? null }, done);
  }

  app.addHook('onRoute', (route) => {
    const url = route.url ?? '';
    // Anonymous routes only: a token-bearing call (/me, /logout) is already authenticated and not a guessing surface.
    const anonymous = route.config?.auth !== 'jwt';
    const name = route.config?.ipRateLimit ?? (anonymous && (url.startsWith(publicPrefix) || SEED_LOGIN.has(url)) ? `public:${url}` : undefined);
    // The audit request context, after body parsing (preHandler) so the device
    // id of a login body is known. Only on routes that change state: GETs
    // (the token-checking hot path among them) record nothing and pay nothing.
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.some((m) => m !== 'GET' && m !== 'HEAD')) {
      const pre = route.preHandler ? (Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]) : [];
      route.preHandler = [enterAuditContext, ...pre];
    }
    if (!name) return;
    const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    // First: a flood is refused before any token check or body parsing.
    route.onRequest = [hookFor(name), ...existing];
  });

}
