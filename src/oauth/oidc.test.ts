/**
 * Sign-in with an OpenID provider (issue 14 items 3 and 4): panva's
 * oidc-provider runs in the test; Tessera does the code flow with PKCE,
 * state and nonce, hands a one-time code to the application, and the login
 * goes through the pipeline: a new user, a returning one, link mode, the
 * verified e-mail's confirmation, a linked user with a second factor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { totpCode } from '../mfa/codes.js';
import { enrolled, PW } from '../mfa/mfa.test-support.js';
import { expectError } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import {
  APP,
  TESSERA,
  landing,
  start,
  startOidcProvider,
  userCount,
  visit,
} from './oauth.test-support.js';

const CALLBACK = `${TESSERA}/api/public/auth/oauth/idp/callback`;

describe('OpenID Connect sign-in against a real provider', () => {
  let t: TestServer;
  let idp: Awaited<ReturnType<typeof startOidcProvider>>;
  const clock = new ManualClock(Date.now());

  /** The browser's trip: start, the provider, the callback; answers where Tessera sent it. */
  async function roundTrip(sub: string, startUrl?: string): Promise<URL> {
    const at = startUrl ?? (await start(t, 'idp'));
    const cb = await idp.authorize(at, sub);
    expect(cb.startsWith(CALLBACK)).toBe(true);
    return landing(await visit(t, cb));
  }
  const exchange = (code: string) =>
    t.call('POST', '/api/public/auth/oauth/token', { body: { code } });
  async function signIn(sub: string) {
    const back = await roundTrip(sub);
    expect(back.origin + back.pathname).toBe(APP);
    return exchange(back.searchParams.get('code')!);
  }
  const subOf = (token: string) =>
    Number(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub);

  beforeAll(async () => {
    idp = await startOidcProvider({
      clientId: 'tessera',
      secret: 'idp-secret',
      redirectUris: [CALLBACK],
    });
    t = await createTestServer({
      clock,
      config: {
        publicUrl: TESSERA,
        oauthProviders: JSON.stringify([
          {
            name: 'idp',
            kind: 'oidc',
            display_name: 'Test IdP',
            issuer: idp.issuer,
            client_id: 'tessera',
            client_secret: 'idp-secret',
            return_urls: [APP, 'https://app.example.com/other'],
            allow_http: true,
          },
        ]),
      },
    });
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('starts with the authorization code, PKCE S256, state and nonce, to the configured callback', async () => {
    const u = new URL(await start(t, 'idp', '?state=app-xyz'));
    expect(u.origin).toBe(idp.issuer);
    expect(u.searchParams.get('response_type')).toBe('code');
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(u.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(u.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(u.searchParams.get('redirect_uri')).toBe(CALLBACK);
    // Only the state's hash is stored.
    const rows = await t.rt.db.kysely.selectFrom('oauth_states').select('id_hash').execute();
    expect(rows.map((r) => r.id_hash)).not.toContain(u.searchParams.get('state'));
  });

  it('refuses a return URL the provider does not list, and an unknown provider', async () => {
    const r = await t.call(
      'GET',
      `/api/public/auth/oauth/idp/start?return_to=${encodeURIComponent('https://evil.example.com/')}`,
    );
    expectError(r, 400, 'OAUTH_RETURN_URL_INVALID');
    const prefix = await t.call(
      'GET',
      `/api/public/auth/oauth/idp/start?return_to=${encodeURIComponent(APP + '/x')}`,
    );
    expectError(prefix, 400, 'OAUTH_RETURN_URL_INVALID');
    expectError(
      await t.call('GET', '/api/public/auth/oauth/nope/start'),
      404,
      'OAUTH_PROVIDER_UNKNOWN',
    );
  });

  it('a new user: one-time code in the redirect (never a token), exchanged for the token pair', async () => {
    idp.accounts.set('new-1', {
      sub: 'new-1',
      email: 'nina@example.com',
      email_verified: true,
      name: 'Nina',
      preferred_username: 'nina',
    });
    const before = await userCount(t);
    const back = await roundTrip(
      'new-1',
      await start(
        t,
        'idp',
        `?state=s1&return_to=${encodeURIComponent('https://app.example.com/other')}`,
      ),
    );
    expect(back.href.startsWith('https://app.example.com/other?')).toBe(true);
    expect(back.searchParams.get('state')).toBe('s1');
    expect([...back.searchParams.keys()].sort()).toEqual(['code', 'state']);
    const r = await exchange(back.searchParams.get('code')!);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.data.data.token_type).toBe('Bearer');
    expect(await userCount(t)).toBe(before + 1);
    const me = await t.call('GET', '/api/public/auth/me', { token: r.data.data.access_token });
    expect(me.statusCode).toBe(200);
    await t.rt.audit.flush();
    const rows = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', 'login.success')
      .execute();
    expect(rows.some((x) => String(x.data).includes('oauth:idp'))).toBe(true);
  });

  it('a returning user logs in to the same account', async () => {
    idp.accounts.set('ret-1', { sub: 'ret-1', email: 'rita@example.com', email_verified: true });
    const first = await signIn('ret-1');
    expect(first.statusCode, first.body).toBe(200);
    const n = await userCount(t);
    const again = await signIn('ret-1');
    expect(again.statusCode, again.body).toBe(200);
    expect(subOf(again.data.data.access_token)).toBe(subOf(first.data.data.access_token));
    expect(await userCount(t)).toBe(n);
  });

  it("a verified e-mail of an existing account asks for that account's password, then links", async () => {
    await t.register('carol', PW, 'carol@example.com');
    const carol = await t.login('carol', PW);
    idp.accounts.set('c-1', { sub: 'c-1', email: 'Carol@Example.com', email_verified: true });
    const n = await userCount(t);
    const r = await signIn('c-1');
    expectError(r, 409, 'IDENTITY_CONFIRM_REQUIRED');
    const ticket = r.data.data.link_ticket as string;
    expect(r.data.data.expires_in).toBe(300);
    const confirm = (password: string) =>
      t.call('POST', '/api/public/auth/oauth/link/confirm', {
        body: { link_ticket: ticket, password },
      });
    expectError(await confirm('not-the-password'), 401, 'INVALID_CREDENTIALS');
    const ok = await confirm(PW);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(subOf(ok.data.data.access_token)).toBe(subOf(carol.access_token));
    expectError(await confirm(PW), 400, 'IDENTITY_LINK_TICKET_INVALID');
    // Linked: the next sign-in goes straight in, to carol, and no user was created.
    const next = await signIn('c-1');
    expect(next.statusCode, next.body).toBe(200);
    expect(subOf(next.data.data.access_token)).toBe(subOf(carol.access_token));
    expect(await userCount(t)).toBe(n);
  });

  it('an unverified e-mail never reaches an existing account: a new one, without that e-mail', async () => {
    await t.register('dave', PW, 'dave@example.com');
    const dave = await t.login('dave', PW);
    idp.accounts.set('d-1', { sub: 'd-1', email: 'dave@example.com', email_verified: false });
    const r = await signIn('d-1');
    expect(r.statusCode, r.body).toBe(200);
    const id = subOf(r.data.data.access_token);
    expect(id).not.toBe(subOf(dave.access_token));
    const u = await t.rt.db.kysely
      .selectFrom('users')
      .select('email')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(u.email).toBeNull();
  });

  it('link mode: a logged-in user binds, lists and unbinds; the last way to log in stays', async () => {
    await t.register('erin', PW, 'erin@example.com');
    const { access_token: token } = await t.login('erin', PW);
    const bind = await t.call('POST', '/api/auth/identities/idp', { token, body: {} });
    expect(bind.statusCode, bind.body).toBe(200);
    idp.accounts.set('e-1', { sub: 'e-1', name: 'Erin at IdP' });
    const back = await roundTrip('e-1', bind.data.data.authorization_url);
    expect(back.searchParams.get('linked')).toBe('idp');
    const list = await t.call('GET', '/api/auth/identities', { token });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.data.data.items).toMatchObject([
      { provider: 'oauth:idp', provider_name: 'idp', subject: 'e-1' },
    ]);
    const viaIdp = await signIn('e-1');
    expect(subOf(viaIdp.data.data.access_token)).toBe(subOf(token));
    // Another user cannot bind the same identity.
    await t.register('fred', PW, 'fred@example.com');
    const fred = await t.login('fred', PW);
    const bind2 = await t.call('POST', '/api/auth/identities/idp', {
      token: fred.access_token,
      body: {},
    });
    const taken = await roundTrip('e-1', bind2.data.data.authorization_url);
    expect(taken.searchParams.get('error')).toBe('IDENTITY_IN_USE');
    const del = await t.call('DELETE', '/api/auth/identities/idp', { token });
    expect(del.statusCode, del.body).toBe(200);
    expect((await t.call('GET', '/api/auth/identities', { token })).data.data.items).toEqual([]);
    // A user created by the provider has no password: its identity is its last way in.
    idp.accounts.set('only-1', { sub: 'only-1' });
    const only = await signIn('only-1');
    const last = await t.call('DELETE', '/api/auth/identities/idp', {
      token: only.data.data.access_token,
    });
    expectError(last, 409, 'LAST_LOGIN_METHOD');
    expectError(await t.call('GET', '/api/auth/identities'), 401, 'TOKEN_MISSING');
  });

  it('a linked user with a second factor gets MFA_REQUIRED at the exchange, completed by mfa/verify', async () => {
    const { secret, token } = await enrolled(t, clock, 'gina');
    const bind = await t.call('POST', '/api/auth/identities/idp', { token, body: {} });
    idp.accounts.set('g-1', { sub: 'g-1' });
    expect(
      (await roundTrip('g-1', bind.data.data.authorization_url)).searchParams.get('linked'),
    ).toBe('idp');
    const r = await signIn('g-1');
    expectError(r, 401, 'MFA_REQUIRED');
    const v = await t.call('POST', '/api/public/auth/mfa/verify', {
      body: { mfa_ticket: r.data.data.mfa_ticket, code: totpCode(secret, clock.now()) },
    });
    expect(v.statusCode, v.body).toBe(200);
    expect(subOf(v.data.data.access_token)).toBe(subOf(token));
  });

  it('the confirmation of an account with a second factor asks for its code too', async () => {
    const { secret, token } = await enrolled(t, clock, 'hank');
    idp.accounts.set('h-1', { sub: 'h-1', email: 'hank@example.com', email_verified: true });
    const r = await signIn('h-1');
    expectError(r, 409, 'IDENTITY_CONFIRM_REQUIRED');
    const link_ticket = r.data.data.link_ticket as string;
    const confirm = (body: Record<string, string>) =>
      t.call('POST', '/api/public/auth/oauth/link/confirm', {
        body: { link_ticket, password: PW, ...body },
      });
    expectError(await confirm({}), 401, 'MFA_REQUIRED');
    const ok = await confirm({ mfa_code: totpCode(secret, clock.now()) });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(subOf(ok.data.data.access_token)).toBe(subOf(token));
    const ids = await t.call('GET', '/api/auth/identities', { token: ok.data.data.access_token });
    expect(ids.data.data.items).toMatchObject([{ provider: 'oauth:idp', subject: 'h-1' }]);
  });
});
