import '../contract/tenant-routes.js';
import type { Db } from '../db/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { RedisClient } from '../infra/redis.js';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

const tags = ['operations'];

/** Health, readiness, JWKS, metrics. */
export function opsRoutes(
  d: { db: Db; keyring: Keyring; redis: RedisClient | undefined },
  metrics: Metrics,
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

    app.get(
      '/metrics',
      { schema: { tags, summary: 'Prometheus metrics', hide: false } },
      async (_req, reply) => {
        reply.header('content-type', metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  };
}
