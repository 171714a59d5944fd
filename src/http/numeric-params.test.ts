import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { int } from '../contract/numbers.js';
import { dialects } from '../test-support/db.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

/**
 * Numbers from clients are finite integers in range, or a 400 VALIDATION_FAILED.
 * Ajv coerces "1e999" and "Infinity" to ±Infinity (fuzz run: 500 from SQLite
 * "datatype mismatch" and PostgreSQL "invalid input syntax for type bigint").
 */
const NOT_FINITE_INTEGERS = [
  '1e999',
  'Infinity',
  '-Infinity',
  'NaN',
  '1.5',
  '-1e999',
  '99999999999999999999',
];

type Res = Awaited<ReturnType<TestServer['call']>>;
const expectValidationFailed = (r: Res, what: string) => {
  expect({ what, status: r.statusCode, error: r.data?.error, data: r.data?.data }).toEqual({
    what,
    status: 400,
    error: 'VALIDATION_FAILED',
    data: null,
  });
  expect(r.data.code, what).toBe(400);
  expect(r.data.message, what).toMatch(/^VALIDATION_FAILED: /);
};

type Schema = {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
};
type Parameter = { in: string; name: string; schema?: Schema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const isNumeric = (s: Schema | undefined) =>
  [s?.type].flat().some((t) => t === 'integer' || t === 'number');

/** Every operation of the app's OpenAPI document, with its path and method. */
function operations(doc: {
  paths?: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
}) {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ path, method, op: item[method]! }] : [])),
  );
}

/** A path with every `{param}` filled: `bad` for the one under test, a plain valid-looking value for the others. */
const fill = (path: string, params: Parameter[], under: string | null, bad: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === under
      ? encodeURIComponent(bad)
      : isNumeric(params.find((p) => p.in === 'path' && p.name === name)?.schema)
        ? '1'
        : 'x',
  );

describe('int()', () => {
  it('refuses to build a schema without finite bounds', () => {
    expect(int(1, 10)).toEqual({ type: 'integer', minimum: 1, maximum: 10 });
    for (const [min, max] of [
      [0, Infinity],
      [-Infinity, 0],
      [Number.NaN, 1],
      [0.5, 1],
      [2, 1],
    ] as const)
      expect(() => int(min, max), `${min}..${max}`).toThrow();
  });
});

describe.each(dialects())('numeric input is a finite integer in range (%s)', (dialect) => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await createTestServer({ dialect });
    admin = await s.adminToken();
  });
  afterAll(() => s?.close());

  it('the fuzz findings: page and page_size of the users list and the audit log', async () => {
    for (const base of ['/api/admin/users', '/api/admin/audit']) {
      for (const q of [
        'page=1e999',
        'page_size=1e999',
        'page=Infinity',
        'page=-Infinity',
        'page_size=-1e999',
        'page=NaN',
        'page=1.5',
        'page=99999999999999999999',
      ]) {
        expectValidationFailed(
          await s.call('GET', `${base}?${q}`, { token: admin }),
          `${base}?${q}`,
        );
      }
      // The bounds still let ordinary pages through.
      expect(
        (await s.call('GET', `${base}?page=1&page_size=200`, { token: admin })).statusCode,
        base,
      ).toBe(200);
    }
    expectValidationFailed(
      await s.call('GET', '/api/admin/audit?user_id=1e999', { token: admin }),
      'audit user_id',
    );
  });

  it('path ids and body numbers too', async () => {
    for (const bad of ['1e999', 'Infinity', '-Infinity']) {
      expectValidationFailed(
        await s.call('GET', `/api/admin/users/${bad}`, { token: admin }),
        `/users/${bad}`,
      );
      expectValidationFailed(
        await s.call('GET', `/api/admin/users/${bad}/sessions`, { token: admin }),
        `/users/${bad}/sessions`,
      );
    }
    // 1e999 is valid JSON that parses to Infinity; as a string it is coerced to Infinity.
    for (const level of ['1e999', '-1e999', '"1e999"', '"Infinity"', '1.5']) {
      const r = await s.app.inject({
        method: 'PUT',
        url: '/api/admin/roles/numtest',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        payload: `{"level":${level},"permissions":[]}`,
      });
      expectValidationFailed(Object.assign(r, { data: JSON.parse(r.body) }), `role level ${level}`);
    }
    for (const v of ['1e999', '-1e999', '"1e999"']) {
      const r = await s.app.inject({
        method: 'PATCH',
        url: '/api/admin/settings',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        payload: `{"maxSessions":${v}}`,
      });
      expectValidationFailed(
        Object.assign(r, { data: JSON.parse(r.body) }),
        `settings maxSessions ${v}`,
      );
    }
  });

  it('every integer or number query and path parameter of the OpenAPI document refuses non-finite and out-of-range values', async () => {
    const doc = s.app.swagger() as Parameters<typeof operations>[0];
    const tried: string[] = [];
    for (const { path, method, op } of operations(doc)) {
      const params = op.parameters ?? [];
      for (const p of params.filter(
        (x) => (x.in === 'query' || x.in === 'path') && isNumeric(x.schema),
      )) {
        for (const bad of NOT_FINITE_INTEGERS) {
          const url =
            fill(path, params, p.in === 'path' ? p.name : null, bad) +
            (p.in === 'query' ? `?${p.name}=${encodeURIComponent(bad)}` : '');
          const r = await s.call(method.toUpperCase(), url, { token: admin });
          expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeGreaterThanOrEqual(400);
          expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(500);
          expectValidationFailed(r, `${method} ${url}`);
        }
        tried.push(`${method} ${path} ${p.name}`);
      }
    }
    // Not vacuous: the walk reached the parameters the fuzz run found, the path ids, and the
    // unlock route whose schema is written inline (not with src/contract/numbers.ts).
    expect(tried).toEqual(
      expect.arrayContaining([
        'get /api/admin/users page',
        'get /api/admin/users page_size',
        'get /api/admin/audit page',
        'get /api/admin/audit user_id',
        'get /api/admin/users/{id} id',
        'delete /api/admin/users/{id} id',
        'post /api/admin/users/{id}/unlock id',
      ]),
    );
  });

  it('every integer or number a request may carry (query, path, body) declares a finite minimum and maximum', () => {
    // The bounds are what refuse ±Infinity after coercion (see the ajv options in src/app.ts).
    const KNOWN_UNBOUNDED = new Set<string>();
    const unbounded: string[] = [];
    const walk = (schema: Schema | undefined, where: string) => {
      if (!schema) return;
      // Union types (the settings PATCH: integer | boolean | string) are range-checked by their handler.
      const numeric = schema.type === 'integer' || schema.type === 'number';
      if (numeric && !(Number.isFinite(schema.minimum) && Number.isFinite(schema.maximum)))
        unbounded.push(where);
      for (const [k, v] of Object.entries(schema.properties ?? {})) walk(v, `${where}.${k}`);
      walk(schema.items, `${where}[]`);
    };
    for (const { path, method, op } of operations(
      s.app.swagger() as Parameters<typeof operations>[0],
    )) {
      for (const p of op.parameters ?? [])
        if (p.in === 'query' || p.in === 'path')
          walk(p.schema, `${method} ${path} ${p.in}.${p.name}`);
      walk(op.requestBody?.content?.['application/json']?.schema, `${method} ${path} body`);
    }
    expect(unbounded.filter((w) => !KNOWN_UNBOUNDED.has(w))).toEqual([]);
  });
});
