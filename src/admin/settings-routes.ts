import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Audit } from '../audit/audit.js';
import { envelope, ok, responses } from '../contract/reply.js';
import { actorMeta } from '../contract/request-meta.js';
import type { Keyring } from '../keys/keyring.js';
import { fail } from '../lib/errors.js';
import { formatLoginPolicy } from '../settings/policy.js';
import type { DynamicKey, SettingsService } from '../settings/service.js';
import { REFUSE_UNKNOWN } from './schemas.js';

const security = [{ bearer: [] }];

/** `<ctx>/admin/settings` (run-time settings) and `<ctx>/admin/keys` (signing keys). */
export function adminSettingsRoutes(d: {
  audit: Audit;
  keyring: Keyring;
  settings: SettingsService;
}) {
  const audit = (req: FastifyRequest, event: string, data: Record<string, unknown>) =>
    req.tenantServices.audit.record({
      event: `admin.${event}`,
      outcome: 'success',
      ...actorMeta(req),
      data,
    });
  // The core's settings and every feature's.
  const settingsSchema = {
    type: 'object',
    properties: Object.fromEntries(
      d.settings.keys().map((k) => [k, { type: ['integer', 'boolean', 'string'] }]),
    ),
  };

  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const view = (req: FastifyRequest) => {
      const { loginPolicyMap, ...rest } = req.tenantServices.settings.get();
      return { ...rest, loginPolicy: formatLoginPolicy(loginPolicyMap) };
    };

    app.get(
      '/settings',
      {
        config: { auth: 'jwt', requires: 'settings:read' },
        schema: {
          tags: ['admin: settings'],
          security,
          summary: 'Settings in force (start values with run-time overrides)',
          response: responses({ 200: envelope(settingsSchema) }),
        },
      },
      async (req, reply) => ok(req, reply, view(req)),
    );

    app.patch<{ Body: Record<string, unknown> }>(
      '/settings',
      {
        config: { auth: 'jwt', requires: 'settings:write' },
        schema: {
          tags: ['admin: settings'],
          security,
          summary:
            'Change settings at run time; every node applies them within a second. null restores the start value.',
          body: {
            type: 'object',
            examples: [{ maxSessions: 3, lockAfterFailures: 10, sessionIdleTimeout: null }],
            minProperties: 1,
            additionalProperties: REFUSE_UNKNOWN,
            properties: Object.fromEntries(
              d.settings.keys().map((k) => [k, { type: ['integer', 'boolean', 'string', 'null'] }]),
            ),
          },
          response: responses({ 200: envelope(settingsSchema) }),
        },
      },
      async (req, reply) => {
        const patch: Partial<Record<DynamicKey, unknown>> = {};
        for (const [k, v] of Object.entries(req.body)) {
          if (v === null) {
            patch[k as DynamicKey] = null;
            continue;
          }
          const r = req.tenantServices.settings.validate(k, v);
          if (!r.ok) fail('VALIDATION_FAILED', { detail: r.problem });
          patch[k as DynamicKey] = r.value;
        }
        await req.tenantServices.settings.update(patch);
        audit(req, 'settings.update', { changes: req.body });
        return ok(req, reply, view(req));
      },
    );

    const keyView = {
      type: 'object',
      properties: {
        kid: { type: 'string' },
        alg: { type: 'string' },
        active: { type: 'boolean' },
        created_at: { type: 'integer' },
        expires_at: { type: ['integer', 'null'] },
      },
    } as const;
    const keys = (req: FastifyRequest) => {
      const activeKid = req.tenantServices.keyring.active().kid;
      return req.tenantServices.keyring.list().map((k) => ({
        kid: k.kid,
        alg: k.alg,
        active: k.kid === activeKid,
        created_at: k.createdAt,
        expires_at: k.expiresAt,
      }));
    };
    app.get(
      '/keys',
      {
        config: { auth: 'jwt', requires: 'keys:read' },
        schema: {
          tags: ['admin: keys'],
          security,
          summary: 'Signing keys',
          response: responses({ 200: envelope({ type: 'array', items: keyView }) }),
        },
      },
      async (req, reply) => ok(req, reply, keys(req)),
    );
    app.post(
      '/keys/rotate',
      {
        config: { auth: 'jwt', requires: 'keys:write' },
        schema: {
          tags: ['admin: keys'],
          security,
          summary: 'New signing key; the old one verifies until its last token expires',
          response: responses({ 200: envelope({ type: 'array', items: keyView }) }, ['CONFLICT']),
        },
      },
      async (req, reply) => {
        try {
          const kid = await req.tenantServices.keyring.rotate();
          audit(req, 'keys.rotate', { kid });
        } catch (e) {
          fail('CONFLICT', { detail: (e as Error).message.slice(0, 200) });
        }
        return ok(req, reply, keys(req));
      },
    );
  };
}
