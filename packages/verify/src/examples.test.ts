import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../../src/test-support/server.js';

const ROOT = new URL('../../../', import.meta.url);
const SERVICE_TOKEN = 'svc-examples-test-token-0123456789abcdef';

interface Closable {
  close(): void;
}

/** The code blocks of docs/verify.md, each under the example file it claims to be. */
function documented(): Map<string, string> {
  const md = readFileSync(new URL('docs/verify.md', ROOT), 'utf8');
  const out = new Map<string, string>();
  for (const m of md.matchAll(/<!-- example: (\S+) -->\n```js\n([\s\S]*?)```/g))
    out.set(m[1]!, m[2]!);
  return out;
}

describe('docs/verify.md quick starts', () => {
  let s: TestServer;
  const closers: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    s = await createTestServer({ config: { publicApiTokens: [SERVICE_TOKEN] } });
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = s.app.server.address() as AddressInfo;
    Object.assign(process.env, {
      AUTH_URL: `http://127.0.0.1:${port}`,
      TESSERA_ISSUER: s.config.issuer,
      TESSERA_AUDIENCE: s.config.audience,
      AUTH_SERVICE_TOKEN: SERVICE_TOKEN,
      PORT: '0',
    });
  });
  afterAll(async () => {
    for (const c of closers) await c();
    // Aborted streaming fetches leave undici spare connections the server's close would wait for.
    s?.app.server.closeAllConnections();
    await s?.close();
  });

  it('shows each example file verbatim, each under 30 lines', () => {
    const blocks = documented();
    expect([...blocks.keys()].sort()).toEqual([
      'packages/verify/examples/express.mjs',
      'packages/verify/examples/fastify.mjs',
      'packages/verify/examples/hono.mjs',
    ]);
    for (const [file, code] of blocks) {
      expect(code, file).toBe(readFileSync(new URL(file, ROOT), 'utf8'));
      expect(code.trimEnd().split('\n').length, file).toBeLessThan(30);
    }
  });

  /** Refused without a token, answers with a fresh one, refused within 1 s of its logout. */
  async function exercise(call: (token?: string) => Promise<Response>, user: string) {
    const none = await call();
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string }).error).toBe('TOKEN_MISSING');
    await s.register(user);
    const { access_token } = await s.login(user);
    const good = await call(access_token);
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ name: user });
    await s.call('POST', '/api/public/auth/logout', { token: access_token });
    await expect
      .poll(async () => ((await (await call(access_token)).json()) as { error?: string }).error, {
        timeout: 1000,
        interval: 10,
      })
      .toBe('SESSION_ENDED');
  }

  const headers = (token?: string): Record<string, string> =>
    token ? { authorization: `Bearer ${token}` } : {};

  it('Express', async () => {
    const ex = (await import('../examples/express.mjs')) as { server: Server; verifier: Closable };
    closers.push(
      () => ex.verifier.close(),
      () => void ex.server.close(),
    );
    await new Promise((r) => (ex.server.listening ? r(null) : ex.server.once('listening', r)));
    const { port } = ex.server.address() as AddressInfo;
    await exercise(
      (t) => fetch(`http://127.0.0.1:${port}/api/me`, { headers: headers(t) }),
      'exexpress',
    );
  });

  it('Fastify', async () => {
    const ex = (await import('../examples/fastify.mjs')) as {
      app: { server: Server; close(): Promise<void> };
      verifier: Closable;
    };
    closers.push(
      () => ex.verifier.close(),
      () => ex.app.close(),
    );
    const { port } = ex.app.server.address() as AddressInfo;
    await exercise(
      (t) => fetch(`http://localhost:${port}/api/me`, { headers: headers(t) }),
      'exfastify',
    );
  });

  it('Hono', async () => {
    const ex = (await import('../examples/hono.mjs')) as {
      default: { request(path: string, init?: RequestInit): Promise<Response> };
      verifier: Closable;
    };
    closers.push(() => ex.verifier.close());
    await exercise((t) => ex.default.request('/api/me', { headers: headers(t) }), 'exhono');
  });
});
