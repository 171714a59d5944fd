/**
 * Bad input and faults of an external sign-in (issue 14 item 5): forged and
 * replayed state, a mismatched nonce, an ID token signed by the wrong key or
 * for another audience, a provider answering 500 or too slowly, a code used
 * twice (at the provider and at Tessera), expiry on the injectable clock.
 * Each answers a clear 4xx in the envelope (no trusted return URL) or a
 * redirect to the application with an error code; none creates a user.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { expectError } from '../test-support/auth-helpers.js';
import { dialects } from '../test-support/db.js';
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

describe.each(dialects())('external sign-in: bad input and faults (%s)', (dialect) => {
  let t: TestServer;
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const clock = new ManualClock(Date.now());

  /** Starts at the fake OIDC provider; answers the callback URL it would send the browser to. */
  async function begin(provider = 'fake'): Promise<{ callback: string; state: string }> {
    const u = new URL(await start(t, provider));
    fakes.state.nonce = u.searchParams.get('nonce') ?? '';
    const state = u.searchParams.get('state')!;
    return {
      state,
      callback: `${TESSERA}/api/public/auth/oauth/${provider}/callback?code=c-${Math.random()}&state=${state}`,
    };
  }
  const errorOf = async (url: string) => landing(await visit(t, url)).searchParams.get('error');
  const exchange = (code: string) =>
    t.call('POST', '/api/public/auth/oauth/token', { body: { code } });

  beforeAll(async () => {
    fakes = await startFakes();
    t = await createTestServer({
      dialect,
      clock,
      config: {
        publicUrl: TESSERA,
        oauthTimeoutMs: 500,
        oauthProviders: JSON.stringify([
          {
            name: 'fake',
            issuer: `${fakes.base}/oidc`,
            client_id: 'tessera-fake',
            client_secret: 'fake-secret',
            return_urls: [APP],
            allow_http: true,
          },
          {
            name: 'down',
            issuer: 'http://127.0.0.1:9/oidc',
            client_id: 'tessera-down',
            return_urls: [APP],
            allow_http: true,
          },
          {
            name: 'other',
            issuer: `${fakes.base}/oidc`,
            client_id: 'tessera-other',
            client_secret: 'fake-secret',
            return_urls: [APP],
            allow_http: true,
          },
        ]),
      },
    });
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    await fakes?.close();
  });
  beforeEach(() => {
    fakes.state.mode = 'ok';
  });

  it('the fake provider works: a good ID token signs in', async () => {
    const { callback } = await begin();
    const back = landing(await visit(t, callback));
    const r = await exchange(back.searchParams.get('code')!);
    expect(r.statusCode, r.body).toBe(200);
  });

  it("a forged state, a missing one, another provider's: 400 OAUTH_STATE_INVALID in the envelope", async () => {
    const n = await userCount(t);
    expectError(
      await t.call('GET', '/api/public/auth/oauth/fake/callback?code=x&state=forged'),
      400,
      'OAUTH_STATE_INVALID',
    );
    expectError(
      await t.call('GET', '/api/public/auth/oauth/fake/callback?code=x'),
      400,
      'OAUTH_STATE_INVALID',
    );
    const { state } = await begin('other');
    expectError(
      await t.call('GET', `/api/public/auth/oauth/fake/callback?code=x&state=${state}`),
      400,
      'OAUTH_STATE_INVALID',
    );
    // Used by that wrong attempt: it does not work at its own provider either.
    expectError(
      await t.call('GET', `/api/public/auth/oauth/other/callback?code=x&state=${state}`),
      400,
      'OAUTH_STATE_INVALID',
    );
    expect(await userCount(t)).toBe(n);
  });

  it('a replayed callback (the same state twice): the second is refused', async () => {
    const { callback } = await begin();
    expect(landing(await visit(t, callback)).searchParams.get('code')).toBeTruthy();
    const again = await visit(t, callback);
    expectError(again, 400, 'OAUTH_STATE_INVALID');
  });

  it('an expired state (past TESSERA_OAUTH_STATE_TTL_SECONDS) is refused', async () => {
    const { callback } = await begin();
    clock.advance(601_000);
    expectError(await visit(t, callback), 400, 'OAUTH_STATE_INVALID');
  });

  it('a mismatched nonce, a wrong signing key, another audience: OAUTH_ID_TOKEN_INVALID, no user', async () => {
    const n = await userCount(t);
    fakes.state.oidc = { sub: 'bad-1', email: 'bad@example.com', email_verified: true };
    let b = await begin();
    fakes.state.nonce = 'not-the-nonce';
    expect(await errorOf(b.callback)).toBe('OAUTH_ID_TOKEN_INVALID');
    fakes.state.mode = 'wrong-key';
    b = await begin();
    expect(await errorOf(b.callback)).toBe('OAUTH_ID_TOKEN_INVALID');
    fakes.state.mode = 'wrong-aud';
    b = await begin();
    expect(await errorOf(b.callback)).toBe('OAUTH_ID_TOKEN_INVALID');
    expect(await userCount(t)).toBe(n);
  });

  it('a provider answering 500: OAUTH_PROVIDER_FAILED; too slowly: OAUTH_PROVIDER_TIMEOUT', async () => {
    const n = await userCount(t);
    let b = await begin();
    fakes.state.mode = '500';
    expect(await errorOf(b.callback)).toBe('OAUTH_PROVIDER_FAILED');
    fakes.state.mode = 'ok';
    b = await begin();
    fakes.state.mode = 'slow';
    const t0 = Date.now();
    expect(await errorOf(b.callback)).toBe('OAUTH_PROVIDER_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1400);
    expect(await userCount(t)).toBe(n);
  });

  it('a provider whose discovery fails: start answers 502 in the envelope', async () => {
    expectError(
      await t.call('GET', '/api/public/auth/oauth/down/start'),
      502,
      'OAUTH_PROVIDER_FAILED',
    );
  });

  it('the provider refuses a used code: OAUTH_CODE_REJECTED; the user denied: OAUTH_DENIED', async () => {
    let b = await begin();
    fakes.state.mode = 'invalid_grant';
    expect(await errorOf(b.callback)).toBe('OAUTH_CODE_REJECTED');
    fakes.state.mode = 'ok';
    b = await begin();
    expect(
      await errorOf(
        `${TESSERA}/api/public/auth/oauth/fake/callback?error=access_denied&state=${b.state}`,
      ),
    ).toBe('OAUTH_DENIED');
  });

  it('the one-time code works once, and not after its 60 s', async () => {
    fakes.state.oidc = { sub: 'once-1' };
    let b = await begin();
    const code = landing(await visit(t, b.callback)).searchParams.get('code')!;
    expect((await exchange(code)).statusCode).toBe(200);
    expectError(await exchange(code), 400, 'OAUTH_CODE_INVALID');
    b = await begin();
    const late = landing(await visit(t, b.callback)).searchParams.get('code')!;
    clock.advance(60_001);
    expectError(await exchange(late), 400, 'OAUTH_CODE_INVALID');
    expectError(await exchange('x'.repeat(43)), 400, 'OAUTH_CODE_INVALID');
    // Stored hashed: the code itself is nowhere in the table.
    const rows = await t.rt.db.kysely.selectFrom('oauth_codes').select('id_hash').execute();
    expect(rows.map((r) => r.id_hash)).not.toContain(code);
  });

  it('malformed input is a 400, never a 500', async () => {
    expectError(
      await t.call('POST', '/api/public/auth/oauth/token', { body: {} }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await t.call('POST', '/api/public/auth/oauth/token', { body: { code: 'x'.repeat(500) } }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await t.call('GET', `/api/public/auth/oauth/fake/callback?state=${'s'.repeat(500)}`),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await t.call('GET', '/api/public/auth/oauth/BAD!/start'), 400, 'VALIDATION_FAILED');
    expectError(
      await t.call('POST', '/api/public/auth/oauth/link/confirm', {
        body: { link_ticket: 'nope', password: 'x' },
      }),
      400,
      'IDENTITY_LINK_TICKET_INVALID',
    );
  });

  it('starting sign-ins is limited per IP (each writes a state row): 429 RATE_LIMITED', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.9' };
    let last = 0;
    for (let i = 0; i < 70 && last !== 429; i++)
      last = (await t.call('GET', '/api/public/auth/oauth/fake/start', { headers })).statusCode;
    expect(last).toBe(429);
    const r = await t.call('GET', '/api/public/auth/oauth/fake/start', { headers });
    expectError(r, 429, 'RATE_LIMITED');
    expect(r.headers['retry-after']).toBeDefined();
  });
});
