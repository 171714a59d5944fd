/**
 * Plain OAuth 2.0 providers (a GitHub-like fake: token endpoint, /user,
 * /user/emails) and WeChat's web QR login (a fake of the open platform's
 * /sns/oauth2/access_token and /sns/userinfo), through the same start,
 * callback and one-time code as OpenID Connect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import {
  APP,
  TESSERA,
  landing,
  start,
  startFakes,
  userCount,
  visit,
} from './oauth.test-support.js';

describe('OAuth 2.0 (GitHub-like) and WeChat web sign-in', () => {
  let t: TestServer;
  let fakes: Awaited<ReturnType<typeof startFakes>>;

  async function callbackOf(provider: string, code: string): Promise<URL> {
    const u = new URL(await start(t, provider));
    const state = u.searchParams.get('state')!;
    return landing(
      await visit(
        t,
        `${TESSERA}/api/public/auth/oauth/${provider}/callback?code=${code}&state=${state}`,
      ),
    );
  }
  const exchange = (code: string) =>
    t.call('POST', '/api/public/auth/oauth/token', { body: { code } });
  const userOf = (token: string) => {
    const id = Number(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub);
    return t.rt.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  };

  beforeAll(async () => {
    fakes = await startFakes();
    t = await createTestServer({
      config: {
        publicUrl: TESSERA,
        oauthProviders: JSON.stringify({
          github: {
            kind: 'oauth2',
            display_name: 'GitHub',
            authorization_endpoint: `${fakes.base}/gh/login/oauth/authorize`,
            token_endpoint: `${fakes.base}/gh/login/oauth/access_token`,
            userinfo_endpoint: `${fakes.base}/gh/user`,
            emails_endpoint: `${fakes.base}/gh/user/emails`,
            client_id: 'gh-client',
            client_secret: 'gh-secret',
            return_urls: [APP],
            allow_http: true,
          },
          wechat: {
            kind: 'wechat',
            display_name: 'WeChat',
            authorization_endpoint: `${fakes.base}/wx/connect/qrconnect`,
            token_endpoint: `${fakes.base}/wx`,
            client_id: 'wx-appid',
            client_secret: 'wx-secret',
            return_urls: [APP],
            allow_http: true,
            user_type: 'customer',
          },
        }),
      },
    });
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    await fakes?.close();
  });

  it('lists the providers for a sign-in page, without secrets', async () => {
    const r = await t.call('GET', '/api/public/auth/oauth/providers');
    expect(r.data.data.items).toEqual([
      { name: 'github', display_name: 'GitHub', kind: 'oauth2' },
      { name: 'wechat', display_name: 'WeChat', kind: 'wechat' },
    ]);
    expect(r.body).not.toContain('secret');
  });

  it('GitHub-like: code + PKCE, /user mapped by the claim map, the verified primary e-mail from /user/emails', async () => {
    const u = new URL(await start(t, 'github'));
    expect(u.href.startsWith(`${fakes.base}/gh/login/oauth/authorize?`)).toBe(true);
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('scope')).toBe('read:user user:email');
    expect(u.searchParams.get('nonce')).toBeNull();
    const back = landing(
      await visit(
        t,
        `${TESSERA}/api/public/auth/oauth/github/callback?code=gh-code&state=${u.searchParams.get('state')}`,
      ),
    );
    const r = await exchange(back.searchParams.get('code')!);
    expect(r.statusCode, r.body).toBe(200);
    const user = await userOf(r.data.data.access_token);
    expect(user.email).toBe('octo@example.com');
    const ids = await t.rt.db.kysely
      .selectFrom('user_identities')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(ids).toMatchObject([
      { provider: 'oauth:github', subject: '4242', email_verified: expect.anything() },
    ]);
    expect(fakes.state.calls).toContain('/gh/user/emails');
  });

  it('GitHub-like: an unverified e-mail is not taken; a refused code redirects with OAUTH_CODE_REJECTED', async () => {
    fakes.state.github = {
      id: 777,
      login: 'nomail',
      name: 'No Mail',
      email: 'someone@example.com',
    };
    fakes.state.githubEmails = [{ email: 'someone@example.com', primary: true, verified: false }];
    const r = await exchange((await callbackOf('github', 'c2')).searchParams.get('code')!);
    expect(r.statusCode, r.body).toBe(200);
    expect((await userOf(r.data.data.access_token)).email).toBeNull();
    fakes.state.mode = 'invalid_grant';
    const n = await userCount(t);
    expect((await callbackOf('github', 'c3')).searchParams.get('error')).toBe(
      'OAUTH_CODE_REJECTED',
    );
    fakes.state.mode = 'ok';
    expect(await userCount(t)).toBe(n);
  });

  it('WeChat: the QR page of the open platform, snsapi_login; openid and unionid from the code', async () => {
    const u = new URL(await start(t, 'wechat'));
    expect(u.href.startsWith(`${fakes.base}/wx/connect/qrconnect?appid=wx-appid&`)).toBe(true);
    expect(u.hash).toBe('#wechat_redirect');
    expect(u.searchParams.get('scope')).toBe('snsapi_login');
    expect(u.searchParams.get('redirect_uri')).toBe(
      `${TESSERA}/api/public/auth/oauth/wechat/callback`,
    );
    const back = landing(
      await visit(
        t,
        `${TESSERA}/api/public/auth/oauth/wechat/callback?code=wx-1&state=${u.searchParams.get('state')}`,
      ),
    );
    const r = await exchange(back.searchParams.get('code')!);
    expect(r.statusCode, r.body).toBe(200);
    const user = await userOf(r.data.data.access_token);
    expect(user.user_type).toBe('customer');
    const ids = await t.rt.db.kysely
      .selectFrom('user_identities')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(ids).toMatchObject([
      { provider: 'wechat-web:wx-appid', subject: 'wx-openid-1', union_id: 'wx-union-1' },
    ]);
    // The same person again: the same user.
    const again = await exchange((await callbackOf('wechat', 'wx-2')).searchParams.get('code')!);
    expect((await userOf(again.data.data.access_token)).id).toBe(user.id);
  });

  it('WeChat: a code used twice is refused by WeChat (40163): OAUTH_CODE_REJECTED; WeChat failing: OAUTH_PROVIDER_FAILED', async () => {
    expect((await callbackOf('wechat', 'wx-1')).searchParams.get('error')).toBe(
      'OAUTH_CODE_REJECTED',
    );
    const n = await userCount(t);
    fakes.state.mode = '500';
    expect((await callbackOf('wechat', 'wx-3')).searchParams.get('error')).toBe(
      'OAUTH_PROVIDER_FAILED',
    );
    fakes.state.mode = 'ok';
    expect(await userCount(t)).toBe(n);
    expectError(await exchange('unknown-code'), 400, 'OAUTH_CODE_INVALID');
  });

  it('the served OpenAPI lists the routes with their error statuses', async () => {
    const r = await t.call('GET', '/openapi.json');
    expect(r.statusCode).toBe(200);
    const paths = r.data.paths as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    const startOp = paths['/api/public/auth/oauth/{provider}/start']!.get!;
    expect(Object.keys(startOp.responses)).toEqual(
      expect.arrayContaining(['302', '404', '429', '502', '504']),
    );
    expect(paths['/api/public/auth/oauth/token']!.post).toBeDefined();
    expect(paths['/api/auth/identities/{provider}']!.delete).toBeDefined();
    expect(paths['/api/admin/identity-providers/{provider}']!.put).toBeDefined();
  });
});
