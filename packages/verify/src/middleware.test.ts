import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tesseraAuth as expressAuth } from './express.js';
import { tesseraAuth as fastifyAuth } from './fastify.js';
import { tesseraAuth as honoAuth } from './hono.js';
import { createVerifier, type TesseraClaims, type Verifier } from './index.js';

const iss = 'https://auth.test';
const aud = 'tessera';
let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let good: Verifier;
/** Its feed is a closed port: every verification fails closed (503). */
let cut: Verifier;
const broken: Verifier = {
  verify: () => Promise.reject(new Error('a bug, not a refusal')),
  ready: async () => true,
  close: () => {},
};

const sign = (exp = Math.floor(Date.now() / 1000) + 60) =>
  new SignJWT({ sid: 's1', jti: 'j1', username: 'ann' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })
    .setSubject('7')
    .setIssuer(iss)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key);

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  const keys = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] };
  good = createVerifier({ issuer: iss, audience: aud, keys });
  cut = createVerifier({
    issuer: iss,
    audience: aud,
    keys,
    revocations: {
      url: 'http://127.0.0.1:1/api/service/revocations',
      serviceToken: 'svc',
      startupWaitMs: 50,
    },
  });
});
afterAll(() => cut.close());

/** What each framework answers: status, `error`, WWW-Authenticate / Retry-After. */
type Body = { error?: string; [k: string]: unknown };
type Call = (token?: string) => Promise<{ status: number; body: Body; headers: Headers }>;

async function expectBehaviour(call: Call, callCut: Call) {
  const none = await call();
  expect([none.status, none.body.error, none.headers.get('www-authenticate')]).toEqual([
    401,
    'TOKEN_MISSING',
    'Bearer',
  ]);
  const bad = await call('not-a-token');
  expect([bad.status, bad.body.error, bad.headers.get('www-authenticate')]).toEqual([
    401,
    'TOKEN_INVALID',
    'Bearer error="invalid_token"',
  ]);
  const old = await call(await sign(Math.floor(Date.now() / 1000) - 60));
  expect([old.status, old.body.error]).toEqual([401, 'TOKEN_EXPIRED']);
  const ok = await call(await sign());
  expect([ok.status, ok.body]).toEqual([200, { sub: '7', username: 'ann' }]);
  const unavailable = await callCut(await sign());
  expect([
    unavailable.status,
    unavailable.body.error,
    unavailable.headers.get('retry-after'),
  ]).toEqual([503, 'REVOCATIONS_UNAVAILABLE', '5']);
}

const auth = (t?: string): Record<string, string> => (t ? { authorization: `Bearer ${t}` } : {});

describe('middleware', () => {
  it('Express: claims on req.auth, refusals in the envelope, other errors to next()', async () => {
    const app = express();
    app.get('/me', expressAuth(good), (req, res) => {
      const c: TesseraClaims | undefined = req.auth;
      res.json({ sub: c?.sub, username: c?.username });
    });
    app.get('/cut', expressAuth(cut), (_req, res) => res.json({}));
    app.get('/broken', expressAuth(broken), (_req, res) => res.json({}));
    app.use(
      (err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
        res.status(500).json({ error: err.message }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const at =
      (path: string): Call =>
      async (t) => {
        const r = await fetch(`${base}${path}`, { headers: auth(t) });
        return { status: r.status, body: (await r.json()) as Body, headers: r.headers };
      };
    await expectBehaviour(at('/me'), at('/cut'));
    const b = await at('/broken')(await sign());
    expect([b.status, b.body.error]).toEqual([500, 'a bug, not a refusal']);
    await new Promise((r) => server.close(r));
  });

  it('Fastify: an onRequest hook; claims on req.auth', async () => {
    const app = Fastify();
    let reached = 0;
    app.get('/me', { onRequest: fastifyAuth(good) }, async (req) => {
      reached += 1;
      const c = (req as unknown as { auth: TesseraClaims }).auth;
      return { sub: c.sub, username: c.username };
    });
    app.get('/cut', { onRequest: fastifyAuth(cut) }, async () => ({}));
    const at =
      (path: string): Call =>
      async (t) => {
        const r = await app.inject({ url: path, headers: auth(t) });
        return {
          status: r.statusCode,
          body: r.json<Body>(),
          headers: new Headers(r.headers as Record<string, string>),
        };
      };
    await expectBehaviour(at('/me'), at('/cut'));
    // Only the one good token reached the handler: a refusal ends the request in the hook.
    expect(reached).toBe(1);
    await app.close();
  });

  it('Hono: middleware typed against Hono’s own context; claims in c.get("auth")', async () => {
    const app = new Hono<{ Variables: { auth: TesseraClaims } }>();
    app.use('/me', honoAuth(good));
    app.use('/cut', honoAuth(cut));
    app.get('/me', (c) => c.json({ sub: c.get('auth').sub, username: c.get('auth').username }));
    app.get('/cut', (c) => c.json({}));
    const at =
      (path: string): Call =>
      async (t) => {
        const r = await app.request(path, { headers: auth(t) });
        return { status: r.status, body: (await r.json()) as Body, headers: r.headers };
      };
    await expectBehaviour(at('/me'), at('/cut'));
  });

  it('refuses to be built without a verifier', () => {
    for (const make of [expressAuth, fastifyAuth, honoAuth])
      expect(() => make(undefined as unknown as Verifier)).toThrow(/verifier/);
  });
});
