import { publicUrl } from '../config/public-url.js';
import type { RequestMeta } from '../contract/meta.js';
import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import type { Core, TenantServices } from '../feature/contract.js';
import type { AuditActor, ExternalProfile, IdentityRow } from '../identities/types.js';
import { randomId, sha256 } from '../lib/crypto.js';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { fail, isTesseraError, rateLimited } from '../lib/errors.js';
import { ipKey } from '../rate-limit/ip-key.js';
import type { LoginResult } from '../login/pipeline.js';
import type { ProviderDef } from './definition.js';
import type { Protocol } from './protocol.js';
import { providerKey } from './protocol.js';
import { createOAuthStore, type OAuthStore } from './store.js';

/** Sign-ins one IP may start per 10 minutes: each writes a state row (kept 10 minutes). */
const STARTS_PER_IP = 60;

/** A link-confirmation ticket lives this long: the user types a password (and a code). */
const LINK_TICKET_TTL_SEC = 300;

/** Where the callback sends the browser: the application's URL with `code`, `linked` or `error`. */
function appUrl(returnUrl: string, params: Record<string, string | null>): string {
  const u = new URL(returnUrl);
  for (const [k, v] of Object.entries(params)) if (v !== null) u.searchParams.set(k, v);
  return u.href;
}

/**
 * External identity providers (decision 0020): the sign-in at a provider
 * (state, PKCE, nonce kept server side), its callback, the one-time code the
 * application exchanges for tokens through the login pipeline
 * (`auth.loginWithIdentity`), the confirmation a verified e-mail of an
 * existing account asks for, and account linking.
 */
export function createOAuthService(d: {
  core: Core;
  protocol: Protocol;
  envProviders: ProviderDef[];
}) {
  const { core, protocol } = d;
  const cfg = core.config;
  const stores = new Map<TenantId, OAuthStore>();
  const storeOf = (t: TenantId): OAuthStore => {
    let s = stores.get(t);
    if (!s) {
      s = createOAuthStore(core.sql.scope(t), core.sealer, cfg.production);
      if (stores.size > 1024) stores.clear();
      stores.set(t, s);
    }
    return s;
  };
  const envByName = new Map(d.envProviders.map((p) => [p.name, p]));
  const now = () => core.clock.now();
  const startsPerIp = core.limiters({
    name: 'oauth:start-ip',
    points: STARTS_PER_IP,
    durationSec: 600,
  });

  /** The tenant's provider `name`: the default tenant's configured ones, then the database's. */
  async function provider(tenant: TenantId, name: string): Promise<ProviderDef> {
    const env = tenant === DEFAULT_TENANT ? envByName.get(name) : undefined;
    const def = env ?? (await storeOf(tenant).provider(name));
    if (!def) fail('OAUTH_PROVIDER_UNKNOWN');
    return def;
  }

  async function providers(tenant: TenantId): Promise<ProviderDef[]> {
    const db = await storeOf(tenant).providers();
    return tenant === DEFAULT_TENANT
      ? [...d.envProviders, ...db.filter((p) => !envByName.has(p.name))]
      : db;
  }

  /** Tessera's own callback URL for a provider (what the provider must allow as redirect URI). */
  function callbackUrl(tenant: TenantId, name: string): string {
    const prefix = tenant === DEFAULT_TENANT ? '' : `/t/${tenant}`;
    return `${publicUrl(cfg)}${prefix}${cfg.contextPath}/public/auth/oauth/${name}/callback`;
  }

  async function start(
    tenant: TenantId,
    name: string,
    ip: string,
    o: {
      returnUrl?: string | undefined;
      appState?: string | undefined;
      mode: 'login' | 'link';
      userId: number | null;
    },
  ): Promise<string> {
    const def = await provider(tenant, name);
    try {
      await startsPerIp.consume(ipKey(ip));
    } catch (e) {
      if (e instanceof RateLimiterRes) rateLimited(Math.max(1, e.msBeforeNext));
      // The limiter's store is down: sign-ins go on (the state rows still expire).
      core.report(e, 'oauth start rate limit');
    }
    const returnUrl = o.returnUrl ?? def.return_urls[0]!;
    if (!def.return_urls.includes(returnUrl)) fail('OAUTH_RETURN_URL_INVALID');
    const state = randomId(32);
    const codeVerifier = randomId(32);
    const nonce = randomId(32);
    const url = await protocol.authorizationUrl(def, {
      redirectUri: callbackUrl(tenant, name),
      state,
      nonce,
      codeVerifier,
    });
    const at = now();
    await storeOf(tenant).insertState({
      id_hash: sha256(state),
      provider: name,
      mode: o.mode,
      user_id: o.userId,
      return_url: returnUrl,
      app_state: o.appState ?? null,
      code_verifier: codeVerifier,
      nonce,
      created_at: at,
      expires_at: at + cfg.oauthStateTtl * 1000,
      used_at: null,
    });
    return url;
  }

  /**
   * The provider sent the browser back. A state that is unknown, used, expired
   * or another provider's throws OAUTH_STATE_INVALID (answered in the envelope:
   * there is no trusted URL to return to); everything after a valid state
   * answers a redirect to the application's URL, with `code`, `linked` or `error`.
   */
  async function callback(
    ts: TenantServices,
    name: string,
    query: Record<string, string>,
    meta: RequestMeta,
  ): Promise<string> {
    const raw = query.state;
    if (!raw) fail('OAUTH_STATE_INVALID');
    const store = storeOf(ts.tenant);
    const st = await store.takeState(sha256(raw), now());
    if (!st || st.provider !== name) fail('OAUTH_STATE_INVALID');
    const back = (p: Record<string, string>) =>
      appUrl(st.return_url, { ...p, state: st.app_state });
    try {
      if (query.error) fail('OAUTH_DENIED');
      const def = await provider(ts.tenant, name);
      const profile = await protocol.profile(def, {
        redirectUri: callbackUrl(ts.tenant, name),
        params: new URLSearchParams(query),
        state: raw,
        nonce: st.nonce,
        codeVerifier: st.code_verifier,
      });
      if (st.mode === 'link') {
        const actor: AuditActor = {
          actorId: st.user_id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          deviceId: meta.deviceId ?? null,
        };
        await ts.identities.link(st.user_id!, profile, actor);
        return back({ linked: name });
      }
      const code = randomId(32);
      const at = now();
      await store.insertCode({
        id_hash: sha256(code),
        kind: 'login',
        provider: name,
        profile: JSON.stringify(profile),
        user_id: null,
        failures: 0,
        created_at: at,
        expires_at: at + cfg.oauthCodeTtl * 1000,
        used_at: null,
      });
      return back({ code });
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      core.log.info({ provider: name, error: e.code }, 'external sign-in failed');
      return back({ error: e.code });
    }
  }

  /** The existing account a verified e-mail names, if it is not linked to this identity. */
  async function verifiedOwner(ts: TenantServices, p: ExternalProfile) {
    if (!p.email || !p.emailVerified) return undefined;
    const user = await ts.users.byLoginName(p.email);
    if (!user || user.email?.toLowerCase() !== p.email) return undefined;
    // An account that has another identity of this provider cannot take a second one (CONFLICT):
    // offering to link it would only fail after the password.
    const linked = await ts.identities.list(user.id);
    return linked.some((r) => r.provider === p.provider) ? undefined : user;
  }

  /**
   * The application exchanges the callback's one-time code (single use, at
   * most 60 s, stored hashed) for the login: the token pair, or a challenge
   * (MFA_REQUIRED with its ticket, IDENTITY_CONFIRM_REQUIRED with a link
   * ticket), in the envelope.
   */
  async function exchange(
    ts: TenantServices,
    code: string,
    meta: RequestMeta,
  ): Promise<LoginResult> {
    const store = storeOf(ts.tenant);
    const hash = sha256(code);
    const row = await store.liveCode(hash, 'login', now());
    if (!row || !(await store.useCode(hash, now()))) fail('OAUTH_CODE_INVALID');
    const def = await provider(ts.tenant, row.provider);
    const profile = JSON.parse(row.profile) as ExternalProfile;
    const known =
      (await ts.identities.find(profile.provider, profile.subject)) ??
      (profile.unionId ? await ts.identities.findByUnion(profile.unionId) : undefined);
    if (!known) {
      const owner = await verifiedOwner(ts, profile);
      if (owner) {
        const ticket = randomId(32);
        const at = now();
        await store.insertCode({
          id_hash: sha256(ticket),
          kind: 'link',
          provider: row.provider,
          profile: row.profile,
          user_id: owner.id,
          failures: 0,
          created_at: at,
          expires_at: at + LINK_TICKET_TTL_SEC * 1000,
          used_at: null,
        });
        fail('IDENTITY_CONFIRM_REQUIRED', {
          data: { link_ticket: ticket, provider: row.provider, expires_in: LINK_TICKET_TTL_SEC },
        });
      }
      if (!def.allow_signup) fail('OAUTH_SIGNUP_DISABLED');
    }
    // An e-mail the provider did not verify never reaches an account (account takeover).
    const p: ExternalProfile = profile.emailVerified ? profile : { ...profile, email: null };
    return ts.auth.loginWithIdentity(p, meta, {
      method: `oauth:${row.provider}`,
      create: def.allow_signup,
      ...(def.user_type ? { user_type: def.user_type } : {}),
    });
  }

  /**
   * Completes IDENTITY_CONFIRM_REQUIRED: the existing account's password (and
   * its second factor, `mfa_code`, if it has one) through the login pipeline;
   * then the identity is linked and the login answered. Wrong passwords count
   * on the brute-force ladder like any login, and 5 of them spend the ticket.
   */
  async function confirmLink(
    ts: TenantServices,
    b: {
      link_ticket: string;
      password: string;
      mfa_code?: string | undefined;
      captcha?: string | undefined;
    },
    meta: RequestMeta,
  ): Promise<LoginResult> {
    const store = storeOf(ts.tenant);
    const hash = sha256(b.link_ticket);
    const row = await store.liveCode(hash, 'link', now());
    const user = row?.user_id ? await ts.users.byId(row.user_id) : undefined;
    if (!row || !user) fail('IDENTITY_LINK_TICKET_INVALID');
    let result: LoginResult;
    try {
      result = await ts.auth.login(
        { username: user.username, password: b.password, mfa_code: b.mfa_code, captcha: b.captcha },
        meta,
      );
    } catch (e) {
      if (isTesseraError(e) && e.code === 'INVALID_CREDENTIALS') await store.countFailure(hash);
      throw e;
    }
    const profile = JSON.parse(row.profile) as ExternalProfile;
    const facts = { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
    try {
      // Another request used the ticket meanwhile: this one does not link.
      if (result.user.id !== user.id || !(await store.useCode(hash, now())))
        fail('IDENTITY_LINK_TICKET_INVALID');
      await ts.identities.link(user.id, profile, { actorId: user.id, ...facts });
    } catch (e) {
      // The ticket was used meanwhile, or the identity linked to someone else (IDENTITY_IN_USE):
      // the session just opened is not answered, so it ends at once rather than live on unseen.
      await ts.sessions.end(result.claims.sid, 'LOGGED_OUT', facts);
      throw e;
    }
    return result;
  }

  /** The user's linked identities, with the configured provider's name where one matches. */
  async function list(
    ts: TenantServices,
    userId: number,
  ): Promise<(IdentityRow & { provider_name: string | null })[]> {
    const byKey = new Map((await providers(ts.tenant)).map((p) => [providerKey(p), p.name]));
    return (await ts.identities.list(userId)).map((r) => ({
      ...r,
      provider_name: byKey.get(r.provider) ?? null,
    }));
  }

  async function unlink(
    ts: TenantServices,
    userId: number,
    name: string,
    actor: AuditActor,
  ): Promise<void> {
    const def = await provider(ts.tenant, name);
    await ts.identities.unlink(userId, providerKey(def), actor);
  }

  return {
    storeOf,
    provider,
    providers,
    callbackUrl,
    start,
    callback,
    exchange,
    confirmLink,
    list,
    unlink,
  };
}

export type OAuthService = ReturnType<typeof createOAuthService>;
