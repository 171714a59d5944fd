import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import type { Feature } from '../feature/contract.js';
import { LOGIN_KEY_FIELDS } from './config.js';
import { registerLoginKeyMetrics } from './metrics.js';
import { sharedSecret } from '../infra/secrets.js';
import { securityDb } from '../infra/tables.js';
import { publicKeyDataSchema, publicKeyHeadersSchema, publicKeyQuerySchema } from './schemas.js';
import { createLoginKeyService, type LoginKeyService } from './service.js';
import { createMemoryLoginKeyStore } from './store/memory.js';
import { createRedisLoginKeyStore } from './store/redis.js';

declare module '../feature/contract.js' {
  interface FeatureServices {
    /** The one-time login keys (tests drive the pool and the store through it). */
    loginKeys: LoginKeyService;
  }
}

/**
 * Seed 001 encrypted login: one-time RSA keys in process memory (embedded
 * default) or in Redis (any node decrypts what another issued; the private
 * keys are sealed under a secret shared through SQL). Provides the login
 * pipeline's password decryptor.
 */
export const loginKeysFeature: Feature = {
  name: 'login-keys',
  config: LOGIN_KEY_FIELDS,
  async start({ core }) {
    const c = core.config;
    const store = core.redis
      ? createRedisLoginKeyStore({
          redis: core.redis,
          prefix: `${c.redisPrefix}lk:`,
          secret: await sharedSecret(
            securityDb(core.sql.shared),
            core.clock,
            'login-keys',
            core.sealer,
          ),
        })
      : createMemoryLoginKeyStore({ clock: core.clock });
    const svc = createLoginKeyService({
      store,
      clock: core.clock,
      limiters: core.limiters,
      ttlSeconds: c.rsaKeyTtl,
      keySize: Number(c.rsaKeySize) as 2048 | 3072,
      poolSize: c.rsaKeyPoolSize,
      perIpPerMinute: c.rsaKeyPerIpPerMinute,
      perSessionPerMinute: c.rsaKeyPerSessionPerMinute,
    });
    await svc.start();
    registerLoginKeyMetrics(core.metrics.registry, svc);
    return {
      provides: { loginKeys: svc, passwordDecryptor: svc },
      routes: () => [{ api: publicKeyRoute(svc) }],
      stop: () => svc.close(),
    };
  },
};

function publicKeyRoute(svc: LoginKeyService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    app.get<{ Querystring: { alg?: string }; Headers: { 'x-session-id'?: string } }>(
      '/public/auth/public-key',
      {
        schema: {
          tags: ['encrypted-login client API'],
          summary: 'A one-time RSA public key to encrypt the password with',
          description:
            'Without `alg`: a key pair of its own, used once, for PKCS#1 v1.5 (jsencrypt) or OAEP-SHA-256. With `alg=RSA-OAEP-256`: a shared key pair; encrypt with OAEP-SHA-256 and the key id as label. Either way the key id works once and expires after TESSERA_RSA_KEY_TTL_SECONDS.',
          querystring: publicKeyQuerySchema,
          headers: publicKeyHeadersSchema,
          response: responses({ 200: envelope(publicKeyDataSchema) }, [
            'RATE_LIMITED',
            'UNAVAILABLE',
          ]),
        },
      },
      async (req, reply) => {
        const sessionId = req.headers['x-session-id'];
        const data = await svc.issue({
          ip: req.ip,
          ...(sessionId ? { sessionId } : {}),
          ...(req.query.alg ? { alg: req.query.alg } : {}),
          tenant: req.tenant,
        });
        return ok(req, reply, data, { message: 'PUBLIC_KEY' });
      },
    );
  };
}
