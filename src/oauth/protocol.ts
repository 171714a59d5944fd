import * as oc from 'openid-client';
import type { ExternalProfile } from '../identities/types.js';
import { sha256 } from '../lib/crypto.js';
import { fail, isTesseraError } from '../lib/errors.js';
import type { ProviderDef } from './definition.js';
import type { OAuthErrorCode } from './errors.js';
import { readJson } from './json.js';
import { wechatAuthorizationUrl, wechatProfile } from './wechat.js';

/** What the callback hands over: the query the provider sent back, and what the state row kept. */
export interface CallbackInput {
  redirectUri: string;
  params: URLSearchParams;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The provider key an identity is stored under. */
export function providerKey(def: ProviderDef): string {
  return def.kind === 'wechat' ? `wechat-web:${def.client_id}` : `oauth:${def.name}`;
}

/** A fetch that gives up after `ms` (the provider is slow: OAUTH_PROVIDER_TIMEOUT). */
function timedFetch(ms: number): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(ms) });
}

/** Which error a failed exchange answers: the provider's fault, its slowness, or a bad proof. */
function classify(e: unknown): OAuthErrorCode {
  if (isTesseraError(e) && e.code.startsWith('OAUTH_')) return e.code as OAuthErrorCode;
  const err = e as { name?: string; code?: string; error?: string; cause?: unknown };
  if (err?.name === 'TimeoutError' || (err?.cause as { name?: string })?.name === 'TimeoutError')
    return 'OAUTH_PROVIDER_TIMEOUT';
  if (e instanceof oc.ResponseBodyError && e.error === 'invalid_grant')
    return 'OAUTH_CODE_REJECTED';
  if (e instanceof oc.AuthorizationResponseError) return 'OAUTH_DENIED';
  // openid-client wraps the reason (a failed JWS check is OAUTH_INVALID_RESPONSE whose cause says so).
  for (let c: unknown = e, i = 0; c instanceof Error && i < 4; c = c.cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /JWT|JWS|KEY_SELECTION/.test(code))
      return 'OAUTH_ID_TOKEN_INVALID';
    if (/JWT|JWS|ID Token|signature/i.test(c.message)) return 'OAUTH_ID_TOKEN_INVALID';
  }
  return 'OAUTH_PROVIDER_FAILED';
}

const text = (v: unknown, max = 256): string | null =>
  typeof v === 'string' && v.length > 0
    ? v.slice(0, max)
    : typeof v === 'number' && Number.isFinite(v)
      ? String(v)
      : null;

/** Maps a provider's claims (ID token, userinfo, /user) to the profile, by the definition's claim map. */
function mapClaims(def: ProviderDef, c: Record<string, unknown>): ExternalProfile {
  const subject = text(c[def.claims.subject]);
  if (!subject) fail('OAUTH_PROVIDER_FAILED', { detail: 'the profile has no subject' });
  const email = text(c[def.claims.email], 254);
  return {
    provider: providerKey(def),
    subject,
    email: email?.toLowerCase() ?? null,
    emailVerified: email !== null && c[def.claims.email_verified] === true,
    displayName: text(c[def.claims.name], 128),
    preferredUsername: text(c[def.claims.username], 64),
  };
}

/**
 * The protocol side of a provider: the authorization URL of a new sign-in,
 * and the callback's exchange into a verified profile (openid-client for
 * OpenID Connect and OAuth 2.0, src/oauth/wechat.ts for WeChat). OpenID
 * configurations (discovery, keys) are kept per definition.
 */
export function createProtocol(o: { timeoutMs: number }) {
  const configs = new Map<string, Promise<oc.Configuration>>();
  const fetchFn = timedFetch(o.timeoutMs);

  function configOf(def: ProviderDef): Promise<oc.Configuration> {
    const key = sha256(JSON.stringify(def));
    const had = configs.get(key);
    if (had) return had;
    const made = build(def);
    if (configs.size >= 256) configs.delete(configs.keys().next().value!);
    configs.set(key, made);
    // A failed discovery is tried again by the next sign-in.
    made.catch(() => configs.delete(key));
    return made;
  }

  async function build(def: ProviderDef): Promise<oc.Configuration> {
    const auth = def.client_secret ? oc.ClientSecretPost(def.client_secret) : oc.None();
    const explicit = def.kind === 'oauth2' || (def.authorization_endpoint && def.token_endpoint);
    let cfg: oc.Configuration;
    if (explicit) {
      cfg = new oc.Configuration(
        {
          issuer: def.issuer ?? new URL(def.authorization_endpoint!).origin,
          authorization_endpoint: def.authorization_endpoint,
          token_endpoint: def.token_endpoint,
          userinfo_endpoint: def.userinfo_endpoint,
          jwks_uri: def.jwks_uri,
        },
        def.client_id,
        undefined,
        auth,
      );
      if (def.allow_http) oc.allowInsecureRequests(cfg);
    } else {
      cfg = await oc.discovery(new URL(def.issuer!), def.client_id, undefined, auth, {
        [oc.customFetch]: fetchFn,
        execute: def.allow_http ? [oc.allowInsecureRequests] : [],
      });
    }
    cfg[oc.customFetch] = fetchFn;
    // Over TLS from the token endpoint, OIDC Core 3.1.3.7 lets a client skip the ID token's
    // signature; Tessera checks it against the provider's keys all the same (defence in depth,
    // and the only check left when allow_http is on).
    if (def.kind === 'oidc') oc.enableNonRepudiationChecks(cfg);
    return cfg;
  }

  return {
    async authorizationUrl(
      def: ProviderDef,
      p: { redirectUri: string; state: string; nonce: string; codeVerifier: string },
    ): Promise<string> {
      if (def.kind === 'wechat') return wechatAuthorizationUrl(def, p.redirectUri, p.state);
      // Discovery is the only call to the provider here: its failure is a 502/504.
      const cfg = await configOf(def).catch((e: unknown) => fail(classify(e)));
      const params: Record<string, string> = {
        redirect_uri: p.redirectUri,
        scope: def.scopes.join(' '),
        state: p.state,
        code_challenge: await oc.calculatePKCECodeChallenge(p.codeVerifier),
        code_challenge_method: 'S256',
      };
      if (def.kind === 'oidc') params.nonce = p.nonce;
      return oc.buildAuthorizationUrl(cfg, params).href;
    },

    /** Exchanges the callback's code; throws a TesseraError with an OAUTH_* code. */
    async profile(def: ProviderDef, cb: CallbackInput): Promise<ExternalProfile> {
      try {
        if (def.kind === 'wechat') return await wechatProfile(def, cb.params, fetchFn);
        const cfg = await configOf(def);
        const current = new URL(cb.redirectUri);
        for (const [k, v] of cb.params) current.searchParams.append(k, v);
        const tokens = await oc.authorizationCodeGrant(cfg, current, {
          pkceCodeVerifier: cb.codeVerifier,
          expectedState: cb.state,
          ...(def.kind === 'oidc' ? { expectedNonce: cb.nonce, idTokenExpected: true } : {}),
        });
        if (def.kind === 'oidc') {
          const claims = tokens.claims() as Record<string, unknown>;
          const needMore =
            claims[def.claims.email] === undefined || claims[def.claims.name] === undefined;
          if (needMore && cfg.serverMetadata().userinfo_endpoint) {
            const info = await oc.fetchUserInfo(cfg, tokens.access_token, String(claims.sub));
            // The ID token's subject is the verified one; userinfo only adds profile fields.
            return mapClaims(def, { ...info, ...claims });
          }
          return mapClaims(def, claims);
        }
        const info = await resource(cfg, tokens.access_token, def.userinfo_endpoint!);
        const profile = mapClaims(def, info as Record<string, unknown>);
        if (def.emails_endpoint && !profile.emailVerified) {
          const list = await resource(cfg, tokens.access_token, def.emails_endpoint);
          const best = Array.isArray(list)
            ? (list as { email?: unknown; verified?: unknown; primary?: unknown }[]).find(
                (e) => e.primary === true && e.verified === true && typeof e.email === 'string',
              )
            : undefined;
          if (best)
            Object.assign(profile, {
              email: String(best.email).toLowerCase(),
              emailVerified: true,
            });
        }
        return profile;
      } catch (e) {
        fail(classify(e));
      }
    },
  };
}

async function resource(cfg: oc.Configuration, token: string, url: string): Promise<unknown> {
  const res = await oc.fetchProtectedResource(
    cfg,
    token,
    new URL(url),
    'GET',
    undefined,
    new Headers({ accept: 'application/json' }),
  );
  if (!res.ok) fail('OAUTH_PROVIDER_FAILED');
  return readJson(res);
}

export type Protocol = ReturnType<typeof createProtocol>;
