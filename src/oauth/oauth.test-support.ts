import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { expect } from 'vitest';
import type { TestServer } from '../test-support/server.js';

/** Tessera's public URL in these tests: callbacks are recognised by it and sent to app.inject. */
export const TESSERA = 'http://tessera.test';
export const APP = 'https://app.example.com/signed-in';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base };
}

const closeServer = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

export interface Account {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

/**
 * A real OpenID provider (panva's oidc-provider) on a local port: code flow
 * with PKCE required, its interaction finished programmatically as the
 * account the test names.
 */
export async function startOidcProvider(o: {
  clientId: string;
  secret: string;
  redirectUris: string[];
}) {
  const accounts = new Map<string, Account>();
  let current = '';
  const holder: { provider?: Provider } = {};
  const { server, base } = await listen((req, res) => {
    void (async () => {
      if (req.url?.startsWith('/interaction/')) {
        const p = holder.provider!;
        const details = await p.interactionDetails(req, res);
        const grant = new p.Grant({ accountId: current, clientId: o.clientId });
        grant.addOIDCScope(String(details.params.scope ?? 'openid'));
        const grantId = await grant.save();
        await p.interactionFinished(
          req,
          res,
          { login: { accountId: current }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      void holder.provider!.callback()(req, res);
    })().catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  holder.provider = new Provider(base, {
    clients: [
      {
        client_id: o.clientId,
        client_secret: o.secret,
        redirect_uris: o.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    cookies: { keys: ['a-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    findAccount: (_ctx, sub) => {
      const a = accounts.get(sub);
      return a ? { accountId: sub, claims: () => ({ ...a }) } : undefined;
    },
  });
  return {
    issuer: base,
    accounts,
    /**
     * Follows the browser from the authorization URL through the provider
     * (logged in as `sub`) until it is sent to Tessera; answers that URL.
     */
    async authorize(url: string, sub: string): Promise<string> {
      current = sub;
      const jar = new Map<string, string>();
      let at = url;
      for (let i = 0; i < 10; i++) {
        if (at.startsWith(TESSERA)) return at;
        const res = await fetch(at, {
          redirect: 'manual',
          headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        for (const c of res.headers.getSetCookie()) {
          const [pair] = c.split(';');
          const eq = pair!.indexOf('=');
          jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
        }
        const loc = res.headers.get('location');
        if (!loc) throw new Error(`provider stopped at ${at}: ${res.status} ${await res.text()}`);
        at = new URL(loc, at).href;
      }
      throw new Error('too many redirects');
    },
    close: () => closeServer(server),
  };
}

export type FakeMode = 'ok' | 'wrong-key' | 'wrong-aud' | '500' | 'slow' | 'invalid_grant';

/**
 * Fakes of a bare OpenID provider (to sign ID tokens wrongly), a GitHub-like
 * OAuth 2.0 provider (token endpoint, /user, /user/emails) and WeChat's
 * open platform (/sns/oauth2/access_token, /sns/userinfo).
 */
export async function startFakes() {
  const good = await generateKeyPair('RS256');
  const bad = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(good.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const state = {
    mode: 'ok' as FakeMode,
    nonce: '',
    oidc: { sub: 'fake-1', email: 'fake@example.com', email_verified: true } as Account,
    github: { id: 4242, login: 'octo', name: 'Octo Cat', email: null as string | null },
    githubEmails: [{ email: 'octo@example.com', primary: true, verified: true }],
    wechat: { openid: 'wx-openid-1', unionid: 'wx-union-1', nickname: '微信用户' },
    wechatCodes: new Set<string>(),
    calls: [] as string[],
  };
  let base = '';
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const { server, base: b } = await listen((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base);
      state.calls.push(url.pathname);
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const form = new URLSearchParams(body);
      if (state.mode === 'slow') await new Promise((r) => setTimeout(r, 1500));
      if (
        state.mode === '500' &&
        !url.pathname.includes('well-known') &&
        !url.pathname.endsWith('jwks')
      )
        return json(res, 500, { message: 'oops' });
      switch (url.pathname) {
        case '/oidc/.well-known/openid-configuration':
          return json(res, 200, {
            issuer: `${base}/oidc`,
            authorization_endpoint: `${base}/oidc/authorize`,
            token_endpoint: `${base}/oidc/token`,
            jwks_uri: `${base}/oidc/jwks`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          });
        case '/oidc/jwks':
          return json(res, 200, { keys: [jwk] });
        case '/oidc/token': {
          if (state.mode === 'invalid_grant') return json(res, 400, { error: 'invalid_grant' });
          const now = Math.floor(Date.now() / 1000);
          const idToken = await new SignJWT({ ...state.oidc, nonce: state.nonce })
            .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
            .setIssuer(`${base}/oidc`)
            .setAudience(
              state.mode === 'wrong-aud' ? 'someone-else' : (form.get('client_id') ?? ''),
            )
            .setSubject(state.oidc.sub)
            .setIssuedAt(now)
            .setExpirationTime(now + 300)
            .sign(state.mode === 'wrong-key' ? bad.privateKey : good.privateKey);
          return json(res, 200, {
            access_token: 'at',
            token_type: 'Bearer',
            expires_in: 300,
            id_token: idToken,
          });
        }
        case '/gh/login/oauth/access_token':
          if (state.mode === 'invalid_grant') return json(res, 400, { error: 'invalid_grant' });
          return json(res, 200, {
            access_token: 'gho_x',
            token_type: 'bearer',
            scope: 'read:user',
          });
        case '/gh/user':
          return req.headers.authorization === 'Bearer gho_x'
            ? json(res, 200, state.github)
            : json(res, 401, { message: 'Bad credentials' });
        case '/gh/user/emails':
          return json(res, 200, state.githubEmails);
        case '/wx/sns/oauth2/access_token': {
          const code = url.searchParams.get('code') ?? '';
          if (state.wechatCodes.has(code))
            return json(res, 200, { errcode: 40163, errmsg: 'code been used' });
          state.wechatCodes.add(code);
          if (url.searchParams.get('secret') !== 'wx-secret')
            return json(res, 200, { errcode: 40125, errmsg: 'invalid appsecret' });
          return json(res, 200, {
            access_token: 'wx-at',
            expires_in: 7200,
            openid: state.wechat.openid,
            unionid: state.wechat.unionid,
            scope: 'snsapi_login',
          });
        }
        case '/wx/sns/userinfo':
          return json(res, 200, { ...state.wechat, sex: 0 });
        default:
          return json(res, 404, { error: 'not_found' });
      }
    })().catch(() => {
      if (!res.headersSent) json(res, 500, {});
    });
  });
  base = b;
  return { base, state, close: () => closeServer(server) };
}

/** Calls Tessera at a URL of the browser flow (the callback the provider sent the browser to). */
export async function visit(t: TestServer, url: string, headers: Record<string, string> = {}) {
  const u = new URL(url);
  return t.call('GET', u.pathname + u.search, { headers });
}

/** Starts a sign-in at `provider`: the provider URL Tessera redirects to. */
export async function start(
  t: TestServer,
  provider: string,
  query = '',
  headers: Record<string, string> = {},
) {
  const r = await t.call('GET', `/api/public/auth/oauth/${provider}/start${query}`, { headers });
  expect(r.statusCode, r.body).toBe(302);
  return r.headers.location as string;
}

/** Where the callback sent the browser, as a URL. */
export function landing(r: {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}): URL {
  expect(r.statusCode, r.body).toBe(302);
  return new URL(String(r.headers.location));
}

export async function userCount(t: TestServer): Promise<number> {
  const r = await t.rt.db.kysely
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
