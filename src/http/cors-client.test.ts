import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import AuthService from '../test-support/seed001-auth-service.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { MemoryStorage } from '../test-support/memory-storage.js';

const APP_ORIGIN = 'http://localhost:5173';

/** Request headers a browser sends cross-origin without asking (Fetch standard, CORS-safelisted). */
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language']);
const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * What a browser at APP_ORIGIN does with fetch() to another origin (Fetch standard §4.8-4.9,
 * in short): a non-simple request is preceded by a preflight whose answer must allow the origin,
 * the method and every header; the actual answer must allow the origin, or the page sees only
 * "TypeError: Failed to fetch".
 */
function browserFetch(origin: string): typeof fetch {
  const real = globalThis.fetch;
  return async (input: string | URL | Request, init: RequestInit = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const names = [...headers.keys()];
    const type = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    const custom = names.filter(
      (h) => !SAFELISTED.has(h) && !(h === 'content-type' && type && SIMPLE_TYPES.includes(type)),
    );
    if (!['GET', 'HEAD', 'POST'].includes(method) || custom.length) {
      const pre = await real(input, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': method,
          ...(custom.length ? { 'access-control-request-headers': custom.join(',') } : {}),
        },
      });
      const allowed = (h: string) =>
        (pre.headers.get(h) ?? '')
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean);
      const ok =
        pre.status >= 200 &&
        pre.status < 300 &&
        pre.headers.get('access-control-allow-origin') === origin &&
        (['GET', 'HEAD', 'POST'].includes(method) ||
          allowed('access-control-allow-methods').includes(method.toLowerCase())) &&
        custom.every((h) => allowed('access-control-allow-headers').includes(h));
      if (!ok) throw new TypeError(`Failed to fetch (preflight refused: ${method} ${custom})`);
    }
    headers.set('origin', origin);
    const res = await real(input, { ...init, headers });
    const acao = res.headers.get('access-control-allow-origin');
    if (acao !== origin && acao !== '*') throw new TypeError('Failed to fetch (no ACAO)');
    return res;
  };
}

async function listen(s: TestServer): Promise<string> {
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = s.app.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api`;
}

/**
 * Seed 001's client runs on its own dev server: its unchanged AuthService, behind a fetch that
 * enforces CORS as a browser does, against Tessera on another origin.
 * @see issue 12 item 3
 */
describe('the seed-001 client from another origin', () => {
  const g = globalThis as unknown as { localStorage: MemoryStorage; fetch: typeof fetch };
  const realFetch = globalThis.fetch;
  let allowed: TestServer;
  let closed: TestServer;
  let allowedBase: string;
  let closedBase: string;

  beforeAll(async () => {
    allowed = await createTestServer({ config: { corsOrigins: [APP_ORIGIN], rsaKeyPoolSize: 4 } });
    closed = await createTestServer({ config: { rsaKeyPoolSize: 4 } });
    allowedBase = await listen(allowed);
    closedBase = await listen(closed);
    // The seed client logs each failure it rethrows; the refusals below are expected.
    vi.spyOn(console, 'error').mockImplementation(() => {});
  }, 60_000);
  afterEach(() => {
    g.fetch = realFetch;
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await allowed.close();
    await closed.close();
  });

  it('works when its origin is in TESSERA_CORS_ORIGINS: register, encrypted login, me, refresh, logout', async () => {
    g.localStorage = new MemoryStorage();
    g.fetch = browserFetch(APP_ORIGIN);
    const client = new AuthService(allowedBase);
    await client.register('corsuser', 'corsuser@example.com', 'password-for-cors');
    const tokens = await client.loginEncrypted('corsuser', 'password-for-cors');
    expect(tokens.token_type).toBe('Bearer');
    expect(await client.getCurrentUser()).toMatchObject({ username: 'corsuser' });
    const again = await client.refreshToken();
    expect(again.access_token).not.toBe(tokens.access_token);
    await client.logout();
    expect(g.localStorage.getItem('access_token')).toBeNull();
  }, 60_000);

  it('is refused by the browser when CORS is not configured', async () => {
    g.localStorage = new MemoryStorage();
    g.fetch = browserFetch(APP_ORIGIN);
    const client = new AuthService(closedBase);
    await expect(client.getPublicKey()).rejects.toThrow(/Failed to fetch/);
    await expect(
      client.register('corsuser2', 'corsuser2@example.com', 'password-for-cors'),
    ).rejects.toThrow(/Failed to fetch/);
  });

  it('is refused from an origin not on the list', async () => {
    g.localStorage = new MemoryStorage();
    g.fetch = browserFetch('http://localhost:5174');
    const client = new AuthService(allowedBase);
    await expect(client.loginPlain('corsuser', 'password-for-cors')).rejects.toThrow(
      /Failed to fetch/,
    );
  });
});
