import { readFileSync } from 'node:fs';

/**
 * An external identity provider as configured (TESSERA_OAUTH_PROVIDERS for the
 * default tenant, or `/api/admin/identity-providers` per tenant). Three kinds:
 * `oidc` (OpenID Connect: discovery by issuer, or explicit endpoints; the ID
 * token is verified), `oauth2` (plain OAuth 2.0 such as GitHub: a userinfo
 * endpoint and a claim mapping), `wechat` (WeChat's web QR login, snsapi_login).
 */
export interface ProviderDef {
  /** Lower-case letters, digits, hyphens: the path segment and `oauth:<name>`. */
  name: string;
  kind: 'oidc' | 'oauth2' | 'wechat';
  display_name: string;
  /** OIDC: the issuer (discovery at `<issuer>/.well-known/openid-configuration`, unless endpoints are given). */
  issuer?: string | undefined;
  authorization_endpoint?: string | undefined;
  token_endpoint?: string | undefined;
  userinfo_endpoint?: string | undefined;
  jwks_uri?: string | undefined;
  /** GitHub: `/user/emails`, read when the profile has no verified e-mail. */
  emails_endpoint?: string | undefined;
  client_id: string;
  /** A secret: sealed at rest when stored in the database; never answered. */
  client_secret: string;
  scopes: string[];
  /** Which field of the userinfo (or ID token) holds what (dotted paths are not followed). */
  claims: ClaimMap;
  /** The application URLs a login may return to: exact match, scheme, host, port, path and query. */
  return_urls: string[];
  /** A first login creates a user (else OAUTH_SIGNUP_DISABLED). */
  allow_signup: boolean;
  /** The user type of users it creates. */
  user_type?: string | undefined;
  /** Accept http:// endpoints (development and tests; refused in production). */
  allow_http: boolean;
}

export interface ClaimMap {
  subject: string;
  email: string;
  email_verified: string;
  name: string;
  username: string;
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const DEFAULT_CLAIMS: Record<ProviderDef['kind'], ClaimMap> = {
  oidc: {
    subject: 'sub',
    email: 'email',
    email_verified: 'email_verified',
    name: 'name',
    username: 'preferred_username',
  },
  // GitHub's /user: numeric id, login, name, email (the public one, unverified: see emails_endpoint).
  oauth2: {
    subject: 'id',
    email: 'email',
    email_verified: 'email_verified',
    name: 'name',
    username: 'login',
  },
  wechat: {
    subject: 'openid',
    email: 'email',
    email_verified: 'email_verified',
    name: 'nickname',
    username: 'nickname',
  },
};

const DEFAULT_SCOPES: Record<ProviderDef['kind'], string[]> = {
  oidc: ['openid', 'email', 'profile'],
  oauth2: ['read:user', 'user:email'],
  wechat: ['snsapi_login'],
};

export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

function str(o: Record<string, unknown>, k: string, max = 2048): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new DefinitionError(`${k}: a non-empty string of at most ${max} characters`);
  return v;
}

function url(o: Record<string, unknown>, k: string, allowHttp: boolean): string | undefined {
  const v = str(o, k);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new DefinitionError(`${k}: not a URL`);
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:'))
    throw new DefinitionError(`${k}: must be https:// (http:// only with allow_http)`);
  return v;
}

/**
 * Checks and completes one provider definition (JSON as an operator or an
 * admin wrote it). `production` refuses `allow_http`. Throws DefinitionError
 * naming the field.
 */
export function parseDefinition(raw: unknown, production: boolean): ProviderDef {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new DefinitionError('a provider is a JSON object');
  const o = raw as Record<string, unknown>;
  const name = str(o, 'name', 32);
  if (!name || !NAME.test(name))
    throw new DefinitionError('name: lower-case letters, digits and inner hyphens (1-32)');
  const kind = o.kind ?? 'oidc';
  if (kind !== 'oidc' && kind !== 'oauth2' && kind !== 'wechat')
    throw new DefinitionError(`${name}: kind is one of oidc, oauth2, wechat`);
  const allowHttp = o.allow_http === true;
  if (allowHttp && production)
    throw new DefinitionError(`${name}: allow_http is refused in production`);
  const at = (k: string) => {
    try {
      return url(o, k, allowHttp);
    } catch (e) {
      throw new DefinitionError(`${name}: ${(e as Error).message}`);
    }
  };
  const def: ProviderDef = {
    name,
    kind,
    display_name: str(o, 'display_name', 64) ?? name,
    issuer: at('issuer'),
    authorization_endpoint: at('authorization_endpoint'),
    token_endpoint: at('token_endpoint'),
    userinfo_endpoint: at('userinfo_endpoint'),
    jwks_uri: at('jwks_uri'),
    emails_endpoint: at('emails_endpoint'),
    client_id: str(o, 'client_id', 256) ?? '',
    client_secret: str(o, 'client_secret', 1024) ?? '',
    scopes: DEFAULT_SCOPES[kind],
    claims: { ...DEFAULT_CLAIMS[kind] },
    return_urls: [],
    allow_signup: o.allow_signup !== false,
    user_type: str(o, 'user_type', 32),
    allow_http: allowHttp,
  };
  if (!def.client_id) throw new DefinitionError(`${name}: client_id is required`);
  if (kind === 'oidc' && !def.issuer)
    throw new DefinitionError(`${name}: an OpenID Connect provider needs its issuer`);
  if (
    kind === 'oauth2' &&
    (!def.authorization_endpoint || !def.token_endpoint || !def.userinfo_endpoint)
  )
    throw new DefinitionError(
      `${name}: an OAuth 2.0 provider needs authorization_endpoint, token_endpoint and userinfo_endpoint`,
    );
  if (kind === 'wechat' && !def.client_secret)
    throw new DefinitionError(`${name}: WeChat needs client_secret (the AppSecret)`);
  if (o.scopes !== undefined) {
    if (
      !Array.isArray(o.scopes) ||
      o.scopes.some((s) => typeof s !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(s))
    )
      throw new DefinitionError(`${name}: scopes is a list of scope names`);
    def.scopes = o.scopes as string[];
  }
  if (o.claims !== undefined) {
    if (!o.claims || typeof o.claims !== 'object')
      throw new DefinitionError(
        `${name}: claims maps subject, email, email_verified, name, username to fields`,
      );
    for (const [k, v] of Object.entries(o.claims)) {
      if (!(k in def.claims) || typeof v !== 'string' || v.length > 64)
        throw new DefinitionError(`${name}: claims.${k} is not a claim Tessera maps`);
      def.claims[k as keyof ClaimMap] = v;
    }
  }
  if (!Array.isArray(o.return_urls) || o.return_urls.length === 0 || o.return_urls.length > 20)
    throw new DefinitionError(
      `${name}: return_urls lists the application URLs (1-20) a login returns to`,
    );
  for (const r of o.return_urls as unknown[]) {
    if (typeof r !== 'string') throw new DefinitionError(`${name}: return_urls are URLs`);
    let u: URL;
    try {
      u = new URL(r);
    } catch {
      throw new DefinitionError(`${name}: return URL ${r.slice(0, 80)} is not a URL`);
    }
    if (u.hash || (u.protocol !== 'https:' && u.protocol !== 'http:'))
      throw new DefinitionError(`${name}: a return URL is http(s) without a fragment`);
    if (production && u.protocol === 'http:' && !['localhost', '127.0.0.1'].includes(u.hostname))
      throw new DefinitionError(`${name}: return URLs are https:// in production`);
    def.return_urls.push(r);
  }
  return def;
}

/**
 * TESSERA_OAUTH_PROVIDERS: a JSON array (or object by name) of definitions, or
 * the path of a file holding one. Throws DefinitionError.
 */
export function parseProviderList(value: string, production: boolean): ProviderDef[] {
  const text = value.trimStart();
  let json = text;
  if (!text.startsWith('[') && !text.startsWith('{')) {
    try {
      json = readFileSync(text.trim(), 'utf8');
    } catch {
      throw new DefinitionError(`cannot read the file ${text.trim().slice(0, 200)}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new DefinitionError('not valid JSON');
  }
  const list = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === 'object'
      ? Object.entries(parsed).map(([name, v]) => ({ ...(v as object), name }))
      : [];
  const defs = list.map((d) => parseDefinition(d, production));
  const names = new Set<string>();
  for (const d of defs) {
    if (names.has(d.name)) throw new DefinitionError(`provider ${d.name} is listed twice`);
    names.add(d.name);
  }
  return defs;
}

/** The definition without its secret: what the admin API answers. */
export function publicDefinition(d: ProviderDef): Omit<ProviderDef, 'client_secret'> & {
  has_client_secret: boolean;
} {
  const { client_secret, ...rest } = d;
  return { ...rest, has_client_secret: client_secret.length > 0 };
}
