import fc from 'fast-check';

/**
 * Hostile requests for every operation of the OpenAPI document (issue 12 item 7), as fast-check
 * arbitraries. A generated request names its token by kind ('user', 'admin', 'forged', …): the
 * runner resolves the kind to a live token at run time, so a case replays from its seed even
 * though the fuzzer's own sessions come and go.
 */

export interface Operation {
  method: string;
  path: string;
  secured: boolean;
  query: string[];
  body?: Schema;
  /** The error codes the document lists per status (the `error` enum of each error answer). */
  errors: Record<string, readonly string[]>;
}

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  maxItems?: number;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        parameters?: { in: string; name: string }[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
        responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
      }
    >
  >;
}

/** Every operation of a served OpenAPI document. */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const body = op.requestBody?.content?.['application/json']?.schema;
      const errors: Record<string, readonly string[]> = {};
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        const codes = Object.values(r.content ?? {})[0]?.schema?.properties?.error?.enum;
        if (codes) errors[status] = codes as string[];
      }
      ops.push({
        errors,
        method: method.toUpperCase(),
        path,
        secured: Boolean(op.security?.length),
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        ...(body ? { body } : {}),
      });
    }
  return ops;
}

/** JSON text written verbatim (numbers JSON.stringify cannot write, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}
/** An object as its entries, so `__proto__` and `constructor` are plain keys in the text. */
class Obj {
  constructor(readonly entries: [string, Value][]) {}
}
type Value = Raw | Obj | Value[] | string | number | boolean | null;

function toJson(v: Value): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Obj)
    return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  return JSON.stringify(v);
}

/** Token kinds: the runner maps each to a header value. */
export const TOKEN_KINDS = [
  'none',
  'user',
  'admin',
  'forged',
  'alg-none',
  'hs-confusion',
  'tampered',
  'huge',
  'garbage',
  'basic',
  'empty-bearer',
  'refresh-as-access',
] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** Ids the runner resolves: a victim user and its session, a sacrificial role and tenant. */
const POOL_KINDS = ['victim-id', 'victim-sid', 'victim-name', 'role', 'tenant'] as const;
type PoolKind = (typeof POOL_KINDS)[number];
const pool = (k: PoolKind) => `\u27e6pool:${k}\u27e7`;

export interface FuzzRequest {
  method: string;
  /** Path and query; may hold pool placeholders. */
  url: string;
  token: TokenKind;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

const headerChars = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
  maxLength: 200,
});
const hugeString = fc.constantFrom(300, 5_000, 60_000, 70_000).map((n) => 'A'.repeat(n));
const nasty = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '𝕏'.repeat(300),
  '..',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '',
  ' ',
  '\u200b',
  '\u202e',
  'admin',
);
const rawNumber = fc
  .constantFrom(
    '1e309',
    '-1e309',
    '-0',
    '1e-400',
    '123456789012345678901234567890',
    '9007199254740993',
    '0.1e1',
  )
  .map((t) => new Raw(t));
const deep = fc
  .constantFrom(50, 500, 3_000)
  .chain((d) =>
    fc.constantFrom(
      new Raw(`${'['.repeat(d)}${']'.repeat(d)}`),
      new Raw(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
    ),
  );
const protoKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty');
const protoObj: fc.Arbitrary<Value> = protoKeys.map(
  (k) =>
    new Obj([
      [
        k,
        new Obj([
          ['admin', true],
          ['polluted', 'yes'],
          ['prototype', new Obj([['x', 1]])],
        ]),
      ],
    ]),
);

/** A value of the wrong kind for anything. */
const hostile: fc.Arbitrary<Value> = fc.oneof(
  nasty,
  hugeString,
  fc.string({ unit: 'binary', maxLength: 50 }),
  rawNumber,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant<Value>([]),
  fc.constant(new Obj([])),
  deep,
  protoObj,
  fc.array<Value>(fc.oneof(nasty, fc.integer()), { maxLength: 5 }),
);

/** A value that fits the schema, mostly; strings sometimes name a pool id. */
function validish(s: Schema, depth = 0): fc.Arbitrary<Value> {
  if (s.enum?.length) return fc.constantFrom(...(s.enum as Value[]));
  const types = Array.isArray(s.type) ? s.type : [s.type ?? 'string'];
  return fc.constantFrom(...types).chain((t): fc.Arbitrary<Value> => {
    switch (t) {
      case 'string':
        if (s.format === 'email')
          return fc.constantFrom('fuzz@example.com', 'a@b.c', 'x@例子.中国');
        return fc.oneof(
          fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) }),
          fc.constantFrom(...POOL_KINDS.map(pool)),
          fc.constant('a-strong-passphrase'),
        );
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 1e6, 1e9) });
      case 'number':
        return fc.double({ noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return depth > 3
          ? fc.constant([])
          : fc.array(validish(s.items ?? {}, depth + 1), {
              maxLength: Math.min(s.maxItems ?? 4, 4),
            });
      default: {
        const props = Object.entries(s.properties ?? {});
        if (depth > 3 || !props.length) return fc.constant(new Obj([]));
        const required = new Set(s.required ?? []);
        return fc
          .tuple(
            ...props.map(([k, p]) =>
              fc.tuple(fc.constant(k), validish(p, depth + 1), fc.boolean()),
            ),
          )
          .map(
            (es) =>
              new Obj(es.filter(([k, , keep]) => keep || required.has(k)).map(([k, v]) => [k, v])),
          );
      }
    }
  });
}

/** A schema-shaped body with one or more mutations. */
function mutated(s: Schema): fc.Arbitrary<Value> {
  const base = validish(s);
  const keys = Object.keys(s.properties ?? {});
  return fc.oneof(
    { weight: 3, arbitrary: base },
    {
      weight: 4,
      arbitrary: fc
        .tuple(base, fc.constantFrom(...(keys.length ? keys : ['x'])), hostile)
        .map(([b, k, h]) =>
          b instanceof Obj ? new Obj([...b.entries.filter(([x]) => x !== k), [k, h]]) : b,
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(base, protoKeys, protoObj)
        .map(([b, k, p]) =>
          b instanceof Obj
            ? new Obj([...b.entries, [k, p instanceof Obj ? p.entries[0]![1] : p]])
            : b,
        ),
    },
    { weight: 1, arbitrary: base.map((b) => [b]) },
    { weight: 1, arbitrary: hostile },
    {
      weight: 1,
      arbitrary: fc
        .tuple(base, fc.string({ maxLength: 20 }), hostile)
        .map(([b, k, h]) => (b instanceof Obj ? new Obj([...b.entries, [k, h]]) : b)),
    },
  );
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'application/vnd.api+json',
  ';;;',
  '',
);

/** Raw garbage bodies: bytes, text, broken JSON. */
const garbageBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.constantFrom(
    '{"a":',
    '{"a":1}}',
    '[',
    '\u0000',
    '{"__proto__":',
    'null',
    '"x"',
    '1e309',
    '{}'.repeat(10_000),
  ),
  fc.constantFrom(70_000, 2_000_000).map((n) => Buffer.alloc(n, 0x7b)),
);

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...POOL_KINDS.map(pool)) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '..',
      '%2e%2e',
      '%2F',
      'a%2Fb',
      '..%2F..%2Fadmin',
      '%00',
      '-1',
      '0',
      '1.5',
      '0x10',
      '1e309',
      'NaN',
      '9'.repeat(400),
      'x'.repeat(5000),
      '%F0%9F%92%A9',
      '%ff%fe',
      '%',
      ' ',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

function queryOf(names: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    fc.constantFrom(...names, '__proto__', 'constructor', 'a[b][c]', ''),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.oneof(
    fc.constantFrom(
      '1',
      '-1',
      '0',
      '1e309',
      'true',
      '',
      '%',
      '%zz',
      '1000000',
      'kefu',
      'login.success',
    ),
    fc.constantFrom(...POOL_KINDS.map(pool)),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
    fc.constantFrom(10_000).map((n) => 'q'.repeat(n)),
  );
  const pair = fc.tuple(key, value).map(([k, v]) => `${encodeURIComponent(k)}=${v}`);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    {
      weight: 4,
      arbitrary: fc
        .array(pair, { maxLength: 6 })
        .map((ps) => (ps.length ? `?${ps.join('&')}` : '')),
    },
    { weight: 1, arbitrary: pair.map((p) => `?${Array(200).fill(p).join('&')}`) },
  );
}

const rarely = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

const headers: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      // Rarely: an unknown tenant answers 404 before anything else runs.
      'x-tessera-tenant': rarely(
        fc.oneof(
          fc.constantFrom('default', 'nope', '..', pool('tenant'), 't'.repeat(5000)),
          headerChars,
        ),
      ),
      'accept-language': fc.oneof(
        fc.constantFrom('zh-CN', 'en', '*', ';;q=NaN', 'zh;q=1e309,,', 'x'.repeat(8000)),
        headerChars,
      ),
      'x-forwarded-for': fc.oneof(
        fc.constantFrom(
          '1.2.3.4',
          '::1',
          '999.1.1.1',
          'unknown, ,',
          '::ffff:1.2.3.4',
          '1.1.1.1,'.repeat(2000),
        ),
        headerChars,
      ),
      'x-session-id': headerChars,
      cookie: headerChars,
      origin: fc.oneof(fc.constantFrom('null', 'https://evil.example', 'file://'), headerChars),
      'sec-websocket-protocol': fc.constantFrom('bearer', 'bearer, x', ','),
    },
    { requiredKeys: [] },
  )
  .map(
    (h) =>
      Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
  );

/** One hostile request for `op`. */
export function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const path = op.path.includes('{')
    ? fc.array(segment, { minLength: 4, maxLength: 4 }).map((segs) => {
        let i = 0;
        return op.path.replace(/\{[^}]+\}/g, () => segs[i++ % segs.length]!);
      })
    : fc.constant(op.path);
  const body: fc.Arbitrary<{ payload?: string | Buffer; ct?: string }> = fc.oneof(
    {
      weight: op.body ? 6 : 1,
      arbitrary: mutated(op.body ?? { type: 'object' }).map((v) => ({
        payload: toJson(v),
        ct: 'application/json',
      })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(garbageBody, contentTypes).map(([payload, ct]) => ({ payload, ct })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(mutated(op.body ?? { type: 'object' }), contentTypes)
        .map(([v, ct]) => ({ payload: toJson(v), ct })),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );
  const token = op.secured
    ? fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom<TokenKind>('user', 'admin') },
        { weight: 4, arbitrary: fc.constantFrom(...TOKEN_KINDS) },
      )
    : fc.constantFrom(...TOKEN_KINDS);
  return fc.record({ path, query: queryOf(op.query), body, token, headers }).map((r) => ({
    method: op.method,
    url: `${r.path}${r.query}`,
    token: r.token,
    headers: { ...r.headers, ...(r.body.ct !== undefined ? { 'content-type': r.body.ct } : {}) },
    ...(r.body.payload !== undefined && op.method !== 'GET' ? { payload: r.body.payload } : {}),
  }));
}

/** Replaces the pool placeholders of a request with the runner's ids. */
export function resolvePool(s: string, ids: Record<PoolKind, string>): string {
  return s.replace(/\u27e6pool:([a-z-]+)\u27e7/g, (_, k: PoolKind) => ids[k]);
}

/** Hostile WebSocket frames: text or binary, huge, invalid JSON or UTF-8, wrong types. */
export const hostileFrame: fc.Arbitrary<{ data: string | Buffer; binary: boolean }> = fc.oneof(
  fc
    .constantFrom(
      '{"type":"ping"}',
      '{"type":"pong"}',
      '{"type":"subscribe"}',
      '{"type":1}',
      '{"type":["ping"]}',
      '{"type":{"toString":1}}',
      '{"type":null}',
      '{"__proto__":{"type":"ping"}}',
      '{"constructor":{"prototype":{"x":1}},"type":"ping"}',
      '"ping"',
      'null',
      '[]',
      '1e309',
      '',
      '{',
      '\u0000',
      '\ud800',
    )
    .map((data) => ({ data, binary: false })),
  mutated({
    type: 'object',
    properties: { type: { type: 'string', enum: ['ping'] } },
    required: ['type'],
  }).map((v) => ({ data: toJson(v), binary: false })),
  fc.string({ unit: 'binary', maxLength: 300 }).map((data) => ({ data, binary: false })),
  fc.uint8Array({ maxLength: 300 }).map((a) => ({ data: Buffer.from(a), binary: true })),
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((a) => ({ data: Buffer.from([0xff, 0xfe, ...a]), binary: false })),
  fc.constantFrom(4_097, 70_000, 1_000_000).map((n) => ({ data: 'x'.repeat(n), binary: false })),
);

/** Signs of an internal leak in a body: stack frames, paths, library or SQL names. */
const LEAK =
  /\bat [\w.<>]+ \(|\.(?:js|ts|mjs):\d+|node_modules|\/work\/|\/src\/|SQLITE_|kysely|better-sqlite|\bajv\b|TypeError|ReferenceError|RangeError|Cannot read propert|undefined is not|stack/i;

/**
 * The one 5xx the contract has for a request: no login encryption key ready (docs/api.md,
 * UNAVAILABLE "e.g. no login encryption key ready", with Retry-After). A client that asks for
 * keys faster than the pool makes them (from ever-new addresses, so the per-IP budget does not
 * stop it) drains the pool; the answer tells it when to come back.
 */
export function keyPoolDrained(url: string, status: number, body: string, retryAfter?: string) {
  return (
    status === 503 &&
    retryAfter !== undefined &&
    url
      .split('?')[0]!
      .replace(/^\/t\/[^/]+/, '')
      .endsWith('/api/public/auth/public-key') &&
    body.includes('"error":"UNAVAILABLE"')
  );
}

/** What is wrong with an answer; [] when it keeps the contract. */
export function problemsOf(
  url: string,
  status: number,
  body: string,
  ms: number,
  boundMs: number,
  retryAfter?: string,
  /** The codes the operation's document lists per status: an answer outside them is a problem. */
  listed?: Record<string, readonly string[]>,
): string[] {
  const out: string[] = [];
  if (status >= 500 && !keyPoolDrained(url, status, body, retryAfter)) out.push(`status ${status}`);
  if (ms > boundMs) out.push(`took ${Math.round(ms)} ms`);
  if (LEAK.test(body)) out.push('internal detail in the body');
  if (status >= 400) {
    let j: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(body);
      j =
        parsed !== null && typeof parsed === 'object'
          ? (parsed as Record<string, unknown>)
          : undefined;
    } catch {
      j = undefined;
    }
    const compat = url.replace(/^\/t\/[^/]+/, '').startsWith('/auth/');
    const code = j?.error;
    const ok =
      j !== undefined &&
      typeof code === 'string' &&
      /^[A-Z_]+$/.test(code) &&
      typeof j.message === 'string' &&
      j.message.startsWith(`${code}: `) &&
      j.data !== undefined &&
      (compat ? j.success === false : j.code === status);
    if (!ok) out.push(`not the error envelope: ${body.slice(0, 160)}`);
    else if (listed && !listed[String(status)]?.includes(code))
      out.push(`${code} (${status}) is not among the codes the operation lists`);
  }
  return out;
}
