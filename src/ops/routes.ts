import '../contract/tenant-routes.js';
import type { Db } from '../db/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { RedisClient } from '../infra/redis.js';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';
import type { Config } from '../config/schema.js';
import { safeEqual } from '../lib/crypto.js';
import { fail } from '../lib/errors.js';

const tags = ['operations'];

/**
 * Who may read `/metrics` (decision 0022): `token` when a scraper must show it; `refuse` in
 * production when neither a token nor a separate port was configured (403, never the series).
 */
export interface MetricsAccess {
  token: string | undefined;
  refuse: boolean;
}

/** `/metrics` on the public port: not there when TESSERA_METRICS_PORT serves it instead. */
export function publicMetricsAccess(cfg: Config): MetricsAccess | undefined {
  if (cfg.metricsPort !== undefined) return undefined;
  return { token: cfg.metricsToken, refuse: cfg.production && cfg.metricsToken === undefined };
}

const METRICS_OFF = {
  en: 'metrics are not served on this port in production: set TESSERA_METRICS_TOKEN or TESSERA_METRICS_PORT',
  zh: '生产环境下此端口不提供监控指标：请设置 TESSERA_METRICS_TOKEN 或 TESSERA_METRICS_PORT',
};

/** `GET /metrics`: the node's registry in the Prometheus text format, behind `access`. */
export function metricsRoute(metrics: Metrics, access: MetricsAccess) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/metrics',
      { schema: { tags, summary: 'Prometheus metrics', hide: false } },
      async (req, reply) => {
        if (access.refuse)
          fail('FORBIDDEN', {
            detail: METRICS_OFF.en,
            localized: METRICS_OFF,
          });
        if (access.token !== undefined) {
          const h = req.headers.authorization;
          if (!h) fail('TOKEN_MISSING');
          const presented = /^Bearer (.+)$/i.exec(h)?.[1] ?? '';
          if (!safeEqual(presented, access.token)) fail('TOKEN_INVALID');
        }
        reply.header('content-type', metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  };
}

/** Health, readiness, JWKS, and metrics unless `access` is undefined (served elsewhere). */
export function opsRoutes(
  d: { db: Db; keyring: Keyring; redis: RedisClient | undefined },
  metrics: Metrics,
  access: MetricsAccess | undefined,
) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/healthz',
      {
        schema: {
          tags,
          summary: 'The process is up',
          response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
        },
      },
      async () => ({ status: 'ok' }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags,
          summary: 'The database (and Redis, when used) answer',
          response: {
            200: {
              type: 'object',
              properties: {
                status: { type: 'string' },
                checks: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
            503: {
              type: 'object',
              properties: {
                status: { type: 'string' },
                checks: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
      async (_req, reply) => {
        const checks: Record<string, string> = {};
        const probe = async (name: string, fn: () => Promise<unknown>) => {
          try {
            await Promise.race([
              fn(),
              new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref()),
            ]);
            checks[name] = 'ok';
          } catch {
            checks[name] = 'fail';
          }
        };
        await probe('database', () => d.db.ping());
        if (d.redis) await probe('redis', () => d.redis!.ping());
        const up = Object.values(checks).every((v) => v === 'ok');
        return reply.code(up ? 200 : 503).send({ status: up ? 'ok' : 'unavailable', checks });
      },
    );

    app.get(
      '/.well-known/jwks.json',
      {
        // Each tenant publishes its own keys: /t/<tenant>/.well-known/jwks.json.
        config: { tenants: true },
        schema: {
          tags,
          summary: 'Public keys that verify live access tokens (RFC 7517)',
          response: {
            200: {
              type: 'object',
              properties: {
                keys: { type: 'array', items: { type: 'object', additionalProperties: true } },
              },
            },
          },
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        reply.removeHeader('pragma');
        return (req.tenantServices ?? d).keyring.jwks();
      },
    );

    if (access) await app.register(metricsRoute(metrics, access));
  };
}
