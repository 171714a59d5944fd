import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authRoutes } from '../auth/routes.js';
import { DEFAULT_TENANT } from '../db/scope.js';
import { installTenantResolution, tenantPathRewriter, tenantResolution } from '../http/tenant.js';
import { installAuthGuards } from '../http/auth.js';
import { installOpenApi } from '../http/openapi.js';
import { answerFrameworkError, installErrorHandling } from '../http/error-handler.js';
import { closeConnectionsOnDrain } from '../http/drain.js';
import { installRequestLog, requestIdGenerator } from '../http/request-log.js';
import { DOCS_CSP, installHardening } from '../http/hardening.js';
import { metricsRoute, opsRoutes, publicMetricsAccess } from '../ops/routes.js';
import { installRequestMetrics } from '../http/request-metrics.js';
import type { Locale } from '../contract/errors.js';
import type { Runtime } from './runtime.js';
import { sessionRoutes } from '../sessions/routes.js';
import { adminRoutes } from '../admin/routes.js';
import { introspectRoutes } from '../tokens/introspect-routes.js';

/**
 * Builds the HTTP application over a runtime, without listening (tests use
 * app.inject): the HTTP shell (parsing, errors, guards, OpenAPI), the core's
 * routes, then every feature's (rt.routes).
 */
export async function buildApp(rt: Runtime): Promise<FastifyInstance> {
  const extensions = rt.routes;
  const cfg = rt.config;
  const trust = cfg.trustProxy.filter((p) => p !== 'none');
  const resolution = tenantResolution(cfg);
  const rewriteUrl = tenantPathRewriter(resolution);
  const app = Fastify({
    ...(rewriteUrl ? { rewriteUrl } : {}),
    loggerInstance: rt.log.child({ mod: 'http' }) as FastifyBaseLogger,
    bodyLimit: cfg.bodyLimit,
    trustProxy: trust.length ? trust : false,
    // X-Request-Id from a trusted proxy only, bounded; otherwise generated (http/request-log.ts).
    requestIdHeader: false,
    genReqId: requestIdGenerator(trust),
    // Bounded parsing: at most 100 query parameters, no prototype pollution.
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    ajv: {
      customOptions: {
        removeAdditional: true,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
        allowUnionTypes: true,
        // Coercion turns "1e999" and "Infinity" into ±Infinity without the finiteness check
        // (ajv#2212), and under strictNumbers minimum/maximum then skip them as "not numbers":
        // they reached SQL and answered 500. Off, the bounds judge them; every numeric input
        // schema carries both (src/contract/numbers.ts), so what passes is finite.
        strictNumbers: false,
      },
    },
    // Per-request log lines would cost more than the whole token check: Fastify's are off,
    // TESSERA_ACCESS_LOG turns on one short line per request (http/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError,
  });
  // The fallback locale of this app's answers (src/contract/reply.ts localeOf).
  app.decorate('defaultLocale', cfg.defaultLocale as Locale);
  // An empty body sent as application/json (common on POST /logout) is no body,
  // not malformed JSON; routes that need a body still fail their schema.
  // Otherwise Fastify's own parser, which refuses __proto__ and constructor.prototype.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === ''))
      return done(null, undefined);
    return json(req, body as string, done);
  });
  installRequestLog(app, { accessLog: cfg.accessLog, log: rt.log.child({ mod: 'access' }) });
  // Headers, caching and CORS first: every answer carries them, refusals of later hooks too.
  await installHardening(app, { corsOrigins: cfg.corsOrigins, hstsMaxAge: cfg.hstsMaxAge });
  closeConnectionsOnDrain(app);
  installErrorHandling(app, { onOutage: (dep, err) => rt.health.failed(dep, err) });
  installTenantResolution(app, {
    resolution,
    registry: rt.tenants,
    forTenant: rt.forTenant,
    defaultServices: await rt.forTenant(DEFAULT_TENANT),
  });
  installAuthGuards(app, {
    authenticator: rt.authenticator,
    roles: rt.roles,
    publicApiTokens: cfg.publicApiTokens,
    // Always guarded: with no token configured these paths refuse every caller (fail closed).
    publicTokenPaths: cfg.publicTokenPaths,
  });
  const metrics = rt.metrics;
  installRequestMetrics(app, metrics.http);
  for (const ext of extensions) await ext.setup?.(app);
  app.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 400) metrics.httpErrors.inc({ code: String(reply.statusCode) });
    done();
  });

  await installOpenApi(app, {
    contextPath: cfg.contextPath,
    publicTokenPaths: cfg.publicTokenPaths,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(opsRoutes(rt, metrics, publicMetricsAccess(cfg)));
  const ctx = cfg.contextPath;
  await app.register(authRoutes(), { prefix: `${ctx}/public/auth` });
  await app.register(sessionRoutes(), { prefix: `${ctx}/auth` });
  await app.register(adminRoutes(rt), { prefix: `${ctx}/admin` });
  await app.register(introspectRoutes(), { prefix: `${ctx}/service` });
  for (const ext of extensions) {
    if (ext.api) await app.register(ext.api, { prefix: ctx });
    if (ext.root) await app.register(ext.root);
  }
  return app;
}

/**
 * The listener of TESSERA_METRICS_PORT: `/metrics` alone (the token required when one is set),
 * errors in the envelope, nothing else of the API. The public app then has no `/metrics`.
 */
export async function buildMetricsApp(rt: Runtime): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: rt.log.child({ mod: 'metrics' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.decorate('defaultLocale', rt.config.defaultLocale as Locale);
  installErrorHandling(app);
  await app.register(metricsRoute(rt.metrics, { token: rt.config.metricsToken, refuse: false }));
  return app;
}
