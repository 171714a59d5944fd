import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES } from '../app/features.js';
import { declarationsOf } from '../app/lifecycle.js';
import { errorTable } from '../contract/errors.js';
import { uname } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { operationIdOf } from './openapi.js';

declarationsOf(FEATURES);

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  'x-permission'?: string[];
  requestBody?: {
    content: Record<
      string,
      { example?: unknown; examples?: unknown; schema?: { examples?: unknown } }
    >;
  };
  responses: Record<
    string,
    {
      description?: string;
      content?: Record<string, { schema?: { properties?: { error?: { enum?: string[] } } } }>;
    }
  >;
}
interface Op {
  method: string;
  path: string;
  op: Operation;
}

/** The codes an operation lists for one status (the `error` enum of its answer). */
const codesOf = (r: Operation['responses'][string]) =>
  Object.values(r.content ?? {})[0]?.schema?.properties?.error?.enum;

describe('the OpenAPI document (/openapi.json)', () => {
  let t: TestServer;
  let raw: string;
  const ops: Op[] = [];

  beforeAll(async () => {
    t = await createTestServer();
    const r = await t.call('GET', '/openapi.json');
    expect(r.statusCode).toBe(200);
    raw = r.body;
    const paths = (r.data as { paths: Record<string, Record<string, Operation>> }).paths;
    for (const [path, item] of Object.entries(paths))
      for (const [method, op] of Object.entries(item)) ops.push({ method, path, op });
  });
  afterAll(() => t?.close());

  it('names the APIs by what they are: the word "seed" appears nowhere', () => {
    // Only the places it appears, not the whole (large) document.
    const hits = [...raw.matchAll(/.{0,60}seed.{0,60}/gi)].map((m) => m[0]);
    expect(hits).toEqual([]);
  });

  it('every operation has a unique camelCase operationId, a summary and a tag', () => {
    expect(ops.length).toBeGreaterThan(60);
    const ids = ops.map((o) => o.op.operationId);
    for (const { method, path, op } of ops) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(op.summary?.length ?? 0, `${method} ${path}`).toBeGreaterThan(5);
      expect(op.tags?.length ?? 0, `${method} ${path}`).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(op.responses))
        expect(r.description, `${method} ${path} ${status}`).not.toBe('Default Response');
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('operationIds come from the method and the path, without the context path', () => {
    expect(operationIdOf('POST', '/api/admin/users/:id/roles', '/api')).toBe(
      'postAdminUsersByIdRoles',
    );
    expect(operationIdOf('GET', '/api/public/auth/oauth/{provider}/start', '/api')).toBe(
      'getPublicAuthOauthByProviderStart',
    );
    expect(operationIdOf('GET', '/.well-known/jwks.json', '/api')).toBe('getWellKnownJwksJson');
    const login = ops.find((o) => o.path === '/api/public/auth/login')!;
    expect(login.op.operationId).toBe('postPublicAuthLogin');
  });

  it('every error an operation lists is in the error table, under its status', () => {
    const table = errorTable();
    let listed = 0;
    for (const { method, path, op } of ops)
      for (const [status, r] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const schema = Object.values(r.content ?? {})[0]?.schema;
        if (!schema?.properties?.error) continue; // the route's own shape (/readyz's 503)
        const codes = codesOf(r);
        expect(codes?.length ?? 0, `${method} ${path} ${status}: no codes`).toBeGreaterThan(0);
        for (const code of codes ?? []) {
          expect(table.get(code)?.status, `${method} ${path}: ${code}`).toBe(Number(status));
          expect(r.description, `${method} ${path} ${status}`).toContain(`\`${code}\``);
          listed++;
        }
      }
    expect(listed).toBeGreaterThan(300);
    const login = ops.find((o) => o.path === '/api/public/auth/login')!.op.responses;
    expect(codesOf(login['401']!)).toEqual(
      expect.arrayContaining(['INVALID_CREDENTIALS', 'MFA_REQUIRED', 'KEY_EXPIRED']),
    );
    expect(codesOf(login['423']!)).toEqual(['ACCOUNT_LOCKED']);
  });

  it('every request body carries an example', () => {
    const missing = ops
      .filter(({ op }) => op.requestBody)
      .filter(({ op }) => {
        const media = op.requestBody!.content['application/json'];
        return !(media?.example ?? media?.examples ?? media?.schema?.examples);
      })
      .map(({ method, path }) => `${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('the access an operation shows is its guard: a token exactly where the guard wants one', async () => {
    const wrong: string[] = [];
    for (const { method, path, op } of ops) {
      const url = path.replace(/\{[^}]+\}/g, '1');
      const r = await t.call(method.toUpperCase(), url);
      const guarded = (op.security ?? []).length > 0;
      const refused = r.statusCode === 401 && r.data?.error === 'TOKEN_MISSING';
      if (guarded !== refused)
        wrong.push(`${method} ${path}: shows ${guarded}, answers ${r.statusCode}`);
      const perm = op['x-permission'] ?? [];
      if (guarded) {
        expect(perm.length, `${method} ${path}`).toBeGreaterThan(0);
        expect(op.description, `${method} ${path}`).toContain('**Access:**');
      } else expect(perm, `${method} ${path}`).toEqual([]);
    }
    expect(wrong).toEqual([]);
  });

  it('a permission an operation shows is one the guard checks: a plain user is refused 403', async () => {
    const name = uname('oapi');
    await t.register(name);
    const token = (await t.login(name)).access_token;
    // What the `user` role grants (presence:read) a plain user passes; every other permission not.
    const granted = t.rt.roles.permissionsOf(['user']);
    const needs = ops.filter(({ op }) =>
      (op['x-permission'] ?? []).some(
        (p) => p !== 'authenticated' && p !== 'public-api-token' && !granted.has(p),
      ),
    );
    expect(needs.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const { method, path, op } of needs) {
      const r = await t.call(method.toUpperCase(), path.replace(/\{[^}]+\}/g, '1'), { token });
      if (r.statusCode !== 403 || r.data?.error !== 'FORBIDDEN')
        wrong.push(`${method} ${path}: ${r.statusCode}`);
      for (const p of op['x-permission']!) expect(op.description).toContain(`\`${p}\``);
    }
    expect(wrong).toEqual([]);
  });
});
