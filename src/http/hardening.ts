import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * The Content-Security-Policy of every answer: Tessera's pages are JSON, which loads nothing,
 * may not be framed, and posts no form. /docs has its own (DOCS_CSP).
 */
const API_CSP = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * /docs (Swagger UI from @fastify/swagger-ui): its page has no inline script or style, loads its
 * scripts and styles from /docs/static, its images are data: URIs in its CSS, and "Try it out"
 * calls this origin. Nothing else is allowed.
 */
export const DOCS_CSP = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

const cspOf = (d: Record<string, string[]>) =>
  Object.entries(d)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join(';');

/** What a browser app may send and read cross-origin (shared/API.md "Browser clients (CORS)"). */
const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-Session-Id',
  'X-Device-Id',
  'X-Tessera-Tenant',
  'Accept-Language',
];
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface HardeningOptions {
  /** TESSERA_CORS_ORIGINS: exact origins, `*` (development only), or none. */
  corsOrigins: readonly string[];
  /** TESSERA_HSTS_MAX_AGE_SECONDS; 0 = never. */
  hstsMaxAge: number;
}

/**
 * Security headers, caching and CORS of every answer (docs/security.md "HTTP headers"):
 * - helmet's headers (nosniff, Referrer-Policy no-referrer, frame and cross-origin policies) and
 *   the strict CSP above, built once: a request pays one synchronous call, no per-request setup;
 * - `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1) on every answer whose route
 *   did not choose its own caching: only public material does (the JWKS, /docs' static files);
 * - Strict-Transport-Security only on a request that reached us over HTTPS: Fastify's
 *   `req.protocol` believes X-Forwarded-Proto only from a TESSERA_TRUST_PROXY address;
 * - CORS through @fastify/cors, registered only when origins are configured (unset = no
 *   cross-origin access: no Access-Control-* header ever).
 * Installed before the tenant hook, so a refusal there (unknown tenant) still carries them.
 */
export async function installHardening(app: FastifyInstance, o: HardeningOptions): Promise<void> {
  // Pages (/docs): helmet's full set for HTML documents, its CSP replaced by the docs' own.
  const pageHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    // Sent below, per request, only over HTTPS.
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // JSON answers (everything else): the headers that mean something for an API answer
  // (OWASP REST security headers), computed once. The cross-origin and download policies
  // helmet adds only concern HTML documents, and each byte is paid by every answer.
  const apiHeaders: Record<string, string> = Object.fromEntries([
    ['content-security-policy', cspOf(API_CSP)],
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'no-referrer'],
    // RFC 6749 §5.1. A route that serves public material sets its own Cache-Control, which
    // replaces it. Set as Fastify's own headers, not on the raw response: Node writes a
    // response whose headers are all Fastify's without merging them one by one.
    ['cache-control', 'no-store'],
    ['pragma', 'no-cache'],
  ]);
  const hsts = `max-age=${o.hstsMaxAge}`;
  app.addHook('onRequest', (req, reply, done) => {
    const raw = reply.raw;
    if (o.hstsMaxAge > 0 && req.protocol === 'https')
      reply.header('strict-transport-security', hsts);
    if (req.url.startsWith('/docs')) {
      raw.setHeader('cache-control', 'no-store');
      pageHeaders(req.raw, raw, () => done());
      return;
    }
    reply.headers(apiHeaders);
    done();
  });
  if (o.corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: o.corsOrigins.includes('*') ? '*' : [...o.corsOrigins],
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: ['Retry-After'],
    // Bearer tokens travel in headers, never in cookies: no credentialed requests.
    credentials: false,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
