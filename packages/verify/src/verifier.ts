import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { VerifyError } from './errors.js';
import { createRevocationFeed, type RevocationFeed } from './feed.js';
import { createRevocationSet } from './revocation-set.js';

/** The claims of a Tessera access token (header `typ: at+jwt`). */
export interface TesseraClaims {
  iss: string;
  aud: string | string[];
  /** The tenant; absent on the default tenant's older tokens. */
  tid?: string;
  /** User id, as a string. */
  sub: string;
  /** Session id. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  role: string;
  level: number;
  /** Space-separated permissions. */
  scope: string;
  roles: string[];
  user_type: string;
  username: string;
  [claim: string]: unknown;
}

export interface RevocationOptions {
  /** The feed's base URL: `<tessera>/api/service/revocations` (`<tessera>/t/<tenant>/api/…` for a tenant). */
  url: string;
  /** One of Tessera's `TESSERA_PUBLIC_API_TOKENS`. */
  serviceToken: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Once synchronised, how long the feed may be out of reach before `verify` refuses every
   * token with REVOCATIONS_UNAVAILABLE (fail closed). `Infinity`: never (fail open).
   * @default 60_000
   */
  failClosedAfterMs?: number;
  /**
   * Before the first synchronisation, how long a `verify` waits for it. Past that, tokens are
   * refused with REVOCATIONS_UNAVAILABLE (unless `failClosedAfterMs` is `Infinity`): a verifier
   * that never heard of any revocation cannot tell a revoked token.
   * @default 5_000
   */
  startupWaitMs?: number;
  /** Silence (no event, no heartbeat) after which the connection is replaced. @default 45_000 */
  heartbeatTimeoutMs?: number;
  /** Revocations held at most (each until its tokens would expire). @default 1_000_000 */
  maxEntries?: number;
  /** Reconnect backoff bounds. @default { minMs: 250, maxMs: 30_000 } */
  backoff?: { minMs: number; maxMs: number };
  /** A connection or snapshot failed (it is retried). @default a console.warn at most once a minute */
  onError?: (e: unknown) => void;
}

export interface VerifierOptions {
  /** Tessera's `TESSERA_ISSUER` (a tenant's: `<issuer>/t/<tenant>`). Pinned. */
  issuer: string;
  /** Tessera's `TESSERA_AUDIENCE`. Pinned. */
  audience: string;
  /** `<tessera>/.well-known/jwks.json` (or a tenant's). One of `jwksUrl` and `keys`. */
  jwksUrl?: string | URL;
  /** A fixed key set instead of a URL (no rotation is picked up). */
  keys?: JSONWebKeySet;
  /** @default ['RS256'] */
  algorithms?: string[];
  /** The header `typ` Tessera sets. @default 'at+jwt' */
  typ?: string;
  /** Seconds of clock difference allowed on exp, nbf and iat. @default 5 */
  clockTolerance?: number;
  /** The current time in ms. @default Date.now */
  now?: () => number;
  /** JWKS refetches: at most one per `cooldownMs` on unknown kids; kept `cacheMaxAgeMs`. */
  jwks?: { cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number; fetch?: typeof fetch };
  /** Learn revocations from Tessera's feed. Without it, a token is good until its `exp`. */
  revocations?: RevocationOptions;
}

export interface Verifier {
  /** The token's claims, or throws a VerifyError. */
  verify(token: string): Promise<TesseraClaims>;
  /** Resolves when the revocation feed has synchronised (at once without a feed), or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Stops the feed. */
  close(): void;
}

const MAX_TOKEN_LENGTH = 8192;
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

function bad(what: string): never {
  throw new TypeError(`createVerifier: ${what}`);
}

function check(o: VerifierOptions): void {
  if (!o || typeof o !== 'object') bad('options are required');
  if (typeof o.issuer !== 'string' || !o.issuer) bad('issuer is required');
  if (typeof o.audience !== 'string' || !o.audience) bad('audience is required');
  if ((o.jwksUrl === undefined) === (o.keys === undefined)) bad('give jwksUrl or keys (one)');
  if (o.jwksUrl !== undefined) new URL(o.jwksUrl);
  const algs = o.algorithms ?? ['RS256'];
  if (!algs.length || !algs.every((a) => ASYMMETRIC.test(a)))
    bad('algorithms must be asymmetric JWS algorithms, e.g. ["RS256"]');
  if (o.revocations) {
    const r = o.revocations;
    new URL(r.url);
    if (typeof r.serviceToken !== 'string' || !r.serviceToken)
      bad('revocations.serviceToken is required');
  }
}

/** The default report of feed failures: one line at most every `ms`, never the token. */
function warnEvery(ms: number): (e: unknown) => void {
  let last = -Infinity;
  return (e) => {
    if (Date.now() - last < ms) return;
    last = Date.now();
    console.warn(
      `@tessera-auth/verify: revocation feed: ${e instanceof Error ? e.message : String(e)}; retrying`,
    );
  };
}

function refusal(e: unknown): VerifyError {
  if (e instanceof errors.JWTExpired) return new VerifyError('TOKEN_EXPIRED', 'exp');
  if (e instanceof errors.JWTClaimValidationFailed)
    return new VerifyError('TOKEN_INVALID', e.claim);
  if (e instanceof errors.JOSEAlgNotAllowed) return new VerifyError('TOKEN_INVALID', 'alg');
  if (e instanceof errors.JWKSNoMatchingKey) return new VerifyError('TOKEN_INVALID', 'kid');
  if (e instanceof errors.JWSSignatureVerificationFailed)
    return new VerifyError('TOKEN_INVALID', 'signature');
  if (
    e instanceof errors.JWKSTimeout ||
    e instanceof errors.JWKSInvalid ||
    // jose's base class alone: the JWKS answered other than 200; anything else: fetch failed.
    !(e instanceof errors.JOSEError) ||
    e.constructor === errors.JOSEError
  )
    // The keys could not be read (Tessera unreachable, a bad answer): not the token's fault.
    return new VerifyError('KEYS_UNAVAILABLE', 'jwks');
  return new VerifyError('TOKEN_INVALID', 'format');
}

/**
 * Verifies Tessera access tokens locally: the signature against Tessera's JWKS (cached;
 * refetched on an unknown `kid`, at most once per cooldown), with the algorithm, issuer,
 * audience and `typ` pinned and `exp`/`nbf` checked within `clockTolerance`; then, with
 * `revocations`, against the sessions, tokens and users Tessera revoked, pushed by its feed.
 *
 * @example
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'tessera',
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *   revocations: { url: 'https://auth.example.com/api/service/revocations', serviceToken },
 * });
 * const claims = await verifier.verify(token); // throws VerifyError { code }
 */
export function createVerifier(o: VerifierOptions): Verifier {
  check(o);
  const now = o.now ?? Date.now;
  const keySet: JWTVerifyGetKey =
    o.keys !== undefined
      ? createLocalJWKSet(o.keys)
      : createRemoteJWKSet(new URL(o.jwksUrl!), {
          cooldownDuration: o.jwks?.cooldownMs ?? 30_000,
          cacheMaxAge: o.jwks?.cacheMaxAgeMs ?? 600_000,
          timeoutDuration: o.jwks?.timeoutMs ?? 5_000,
          ...(o.jwks?.fetch ? { [customFetch]: o.jwks.fetch } : {}),
        });
  const options = {
    issuer: o.issuer,
    audience: o.audience,
    algorithms: o.algorithms ?? ['RS256'],
    typ: o.typ ?? 'at+jwt',
    clockTolerance: o.clockTolerance ?? 5,
    requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
  };
  const r = o.revocations;
  const set = createRevocationSet(now, r?.maxEntries ?? 1_000_000);
  const failClosedAfterMs = r?.failClosedAfterMs ?? 60_000;
  const startupWaitMs = r?.startupWaitMs ?? 5_000;
  let feed: RevocationFeed | undefined;
  let sweeper: ReturnType<typeof setInterval> | undefined;
  if (r) {
    feed = createRevocationFeed({
      url: r.url,
      serviceToken: r.serviceToken,
      fetch: r.fetch ?? globalThis.fetch,
      set,
      heartbeatTimeoutMs: r.heartbeatTimeoutMs ?? 45_000,
      backoff: r.backoff ?? { minMs: 250, maxMs: 30_000 },
      onError: r.onError ?? warnEvery(60_000),
    });
    feed.start();
    sweeper = setInterval(() => set.sweep(), 30_000);
    sweeper.unref?.();
  }

  async function feedCheck(f: RevocationFeed): Promise<void> {
    if (f.current() || failClosedAfterMs === Infinity) return;
    if (!f.synced()) {
      await f.ready(startupWaitMs);
      if (!f.synced()) throw new VerifyError('REVOCATIONS_UNAVAILABLE', 'not synchronised');
      return;
    }
    if (f.downForMs() > failClosedAfterMs)
      throw new VerifyError('REVOCATIONS_UNAVAILABLE', 'feed down');
  }

  return {
    async verify(token: string): Promise<TesseraClaims> {
      if (typeof token !== 'string' || !token) throw new VerifyError('TOKEN_MISSING');
      if (token.length > MAX_TOKEN_LENGTH) throw new VerifyError('TOKEN_INVALID', 'too long');
      let claims: TesseraClaims;
      try {
        const res = await jwtVerify(token, keySet, { ...options, currentDate: new Date(now()) });
        claims = res.payload as TesseraClaims;
      } catch (e) {
        throw refusal(e);
      }
      if (typeof claims.sid !== 'string' || typeof claims.jti !== 'string')
        throw new VerifyError('TOKEN_INVALID', 'sid/jti');
      if (feed) {
        await feedCheck(feed);
        const why = set.check(claims.sid, claims.jti, claims.sub, claims.iat);
        if (why) throw new VerifyError(why, why === 'SESSION_ENDED' ? 'sid' : 'revoked');
      }
      return claims;
    },
    async ready(timeoutMs = startupWaitMs): Promise<boolean> {
      if (!feed) return true;
      await feed.ready(timeoutMs);
      return feed.synced();
    },
    close(): void {
      feed?.stop();
      if (sweeper) clearInterval(sweeper);
    },
  };
}
