import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../test-support/server.js';

/** @see issue 12 item 3: security headers, no-store, HSTS behind a TLS proxy, CORS. */
describe('HTTP hardening: headers on every answer', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ config: { trustProxy: ['127.0.0.1'] } });
  });
  afterAll(() => s.close());

  it('security headers and a strict CSP on answers, errors and unknown paths alike', async () => {
    const login = await s.call('POST', '/api/public/auth/login', {
      body: { username: 'admin', password: 'admin-test-password-1' },
    });
    const refused = await s.call('GET', '/api/public/auth/me');
    const missing = await s.call('GET', '/no/such/path');
    const compat = await s.call('POST', '/auth/login', {
      body: { username: 'nobody', password: 'x', user_type: 'user' },
    });
    expect([login.statusCode, refused.statusCode, missing.statusCode]).toEqual([200, 401, 404]);
    for (const r of [login, refused, missing, compat]) {
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['content-security-policy']).toBe(
        "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      );
      // RFC 6749 §5.1: tokens and user data are never stored by a cache.
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers.pragma).toBe('no-cache');
      // Plain http, no proxy: no HSTS.
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('public material keeps its own caching: the JWKS', async () => {
    const r = await s.call('GET', '/.well-known/jwks.json');
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=300');
    expect(r.headers.pragma).toBeUndefined();
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('HSTS only when a trusted proxy says the request came over https', async () => {
    const viaTrusted = await s.call('GET', '/healthz', {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(viaTrusted.headers['strict-transport-security']).toBe('max-age=31536000');
    const plain = await s.call('GET', '/healthz', { headers: { 'x-forwarded-proto': 'http' } });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });

  it('an untrusted peer cannot turn HSTS on with X-Forwarded-Proto', async () => {
    const other = await createTestServer();
    try {
      const r = await other.call('GET', '/healthz', { headers: { 'x-forwarded-proto': 'https' } });
      expect(r.statusCode).toBe(200);
      expect(r.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('/docs renders under its CSP: no inline code, every asset it names is served here', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
    const html = page.body;
    // An inline <script> or <style>, a style= or on*= attribute would be blocked by that CSP.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\s(style|on[a-z]+)=/i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    for (const a of assets) {
      expect(a, a).toMatch(/^\.\/static\//); // same origin ('self')
      const r = await s.app.inject({ method: 'GET', url: `/docs/${a.slice(2)}` });
      expect(r.statusCode, a).toBe(200);
      if (a.endsWith('.js')) expect(String(r.headers['content-type'])).toMatch(/javascript/);
      if (a.endsWith('.css')) expect(String(r.headers['content-type'])).toMatch(/text\/css/);
    }
    // The initializer fetches the spec from this origin (connect-src 'self') and uses no eval.
    const init = await s.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toContain("resolveUrl('./json')");
    expect(init.body).not.toMatch(/\beval\(|new Function/);
    expect((await s.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
  });
});

describe('CORS (shared/API.md "Browser clients (CORS)")', () => {
  const APP = 'http://localhost:5173';
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ config: { corsOrigins: [APP, 'https://app.example.com'] } });
  });
  afterAll(() => s.close());

  const preflight = (origin: string, url = '/api/public/auth/login') =>
    s.app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-session-id',
      },
    });

  it('a preflight from an allowed origin answers 204 with the methods and headers', async () => {
    const r = await preflight(APP);
    expect(r.statusCode).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expect(String(r.headers['access-control-allow-methods']).split(/,\s*/)).toEqual(
      expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE']),
    );
    expect(r.headers['access-control-allow-headers']).toBe(
      'Content-Type, Authorization, X-Session-Id, X-Device-Id, X-Tessera-Tenant, Accept-Language',
    );
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(r.headers.vary)).toMatch(/Origin/i);
  });

  it('a preflight from another origin gets no Access-Control-Allow-Origin', async () => {
    for (const o of ['http://evil.example', 'http://localhost:5174', 'null']) {
      const r = await preflight(o);
      expect(r.headers['access-control-allow-origin'], o).toBeUndefined();
    }
  });

  it('actual requests: allowed origin can read the answer and Retry-After, others cannot', async () => {
    const ok = await s.call('GET', '/api/public/auth/public-key', { headers: { origin: APP } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(APP);
    expect(ok.headers['access-control-expose-headers']).toBe('Retry-After');
    // Refusals are readable too (the client needs the error envelope).
    const refused = await s.call('GET', '/api/public/auth/me', { headers: { origin: APP } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(APP);
    const unknownTenant = await s.call('GET', '/api/public/auth/public-key', {
      headers: { origin: APP, 'x-tessera-tenant': 'no-such-tenant' },
    });
    expect(unknownTenant.statusCode).toBe(404);
    expect(unknownTenant.headers['access-control-allow-origin']).toBe(APP);
    const other = await s.call('GET', '/api/public/auth/me', {
      headers: { origin: 'http://evil.example' },
    });
    expect(other.statusCode).toBe(401);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('unset: no cross-origin access at all', async () => {
    const plain = await createTestServer();
    try {
      const pre = await plain.app.inject({
        method: 'OPTIONS',
        url: '/api/public/auth/login',
        headers: { origin: APP, 'access-control-request-method': 'POST' },
      });
      expect(pre.statusCode).toBe(404);
      const get = await plain.call('GET', '/api/public/auth/public-key', {
        headers: { origin: APP },
      });
      expect(get.statusCode).toBe(200);
      for (const r of [pre, get])
        expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
