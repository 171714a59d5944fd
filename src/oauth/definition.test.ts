/** Provider definitions as an operator writes them (TESSERA_OAUTH_PROVIDERS: JSON or a file). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestServer } from '../test-support/server.js';
import { parseProviderList } from './definition.js';

const google = {
  name: 'google',
  issuer: 'https://accounts.google.com',
  client_id: 'id',
  client_secret: 'secret',
  return_urls: ['https://app.example.com/done'],
};

describe('provider definitions', () => {
  it('reads a JSON array, an object by name, or a file holding one; fills the defaults', () => {
    const [g] = parseProviderList(JSON.stringify([google]), false);
    expect(g).toMatchObject({ kind: 'oidc', display_name: 'google', allow_signup: true });
    expect(g!.scopes).toEqual(['openid', 'email', 'profile']);
    expect(g!.claims.subject).toBe('sub');
    const byName = parseProviderList(
      JSON.stringify({
        gh: {
          ...google,
          issuer: undefined,
          kind: 'oauth2',
          authorization_endpoint: 'https://github.com/login/oauth/authorize',
          token_endpoint: 'https://github.com/login/oauth/access_token',
          userinfo_endpoint: 'https://api.github.com/user',
        },
      }),
      false,
    );
    expect(byName[0]).toMatchObject({
      name: 'gh',
      kind: 'oauth2',
      claims: { subject: 'id', username: 'login' },
    });
    const dir = mkdtempSync(join(tmpdir(), 'tessera-oauth-'));
    const file = join(dir, 'providers.json');
    writeFileSync(file, JSON.stringify([google]));
    expect(parseProviderList(file, false).map((p) => p.name)).toEqual(['google']);
  });

  it('refuses what does not hold together, naming it', () => {
    const bad =
      (o: object, prod = false) =>
      () =>
        parseProviderList(JSON.stringify([{ ...google, ...o }]), prod);
    expect(bad({ name: 'Bad Name' })).toThrow(/name/);
    expect(bad({ issuer: undefined })).toThrow(/issuer/);
    expect(bad({ issuer: 'http://idp.example.com' })).toThrow(/https/);
    expect(bad({ issuer: 'http://idp.example.com', allow_http: true }, true)).toThrow(/production/);
    expect(bad({ return_urls: [] })).toThrow(/return_urls/);
    expect(bad({ return_urls: ['https://app.example.com/#frag'] })).toThrow(/fragment/);
    expect(bad({ claims: { password: 'x' } })).toThrow(/claims/);
    expect(bad({ kind: 'wechat', client_secret: undefined })).toThrow(/AppSecret/);
    expect(() => parseProviderList(JSON.stringify([google, google]), false)).toThrow(/twice/);
    expect(() => parseProviderList('/no/such/file.json', false)).toThrow(/cannot read/);
    expect(() => parseProviderList('[not json', false)).toThrow(/JSON/);
  });

  it('a bad TESSERA_OAUTH_PROVIDERS stops the start with the reason, never the secret', async () => {
    const bad = JSON.stringify([
      { ...google, client_id: undefined, client_secret: 'do-not-print' },
    ]);
    const err = await createTestServer({ config: { oauthProviders: bad } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/TESSERA_OAUTH_PROVIDERS: google: client_id is required/);
    expect(err?.message).not.toContain('do-not-print');
  });
});
