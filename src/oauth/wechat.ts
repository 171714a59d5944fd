import type { ExternalProfile } from '../identities/types.js';
import { fail } from '../lib/errors.js';
import type { ProviderDef } from './definition.js';
import { readJson } from './json.js';

/**
 * WeChat's web QR login (open platform, scope snsapi_login): the user scans a
 * QR code on open.weixin.qq.com, WeChat redirects back with `code` and
 * `state`; the code is exchanged at /sns/oauth2/access_token (openid,
 * unionid), then /sns/userinfo gives the nickname. WeChat has no PKCE and no
 * ID token: the state (single use, server side) carries the binding.
 * `authorization_endpoint` and `token_endpoint` override WeChat's own (tests).
 */
const QR = 'https://open.weixin.qq.com/connect/qrconnect';
const API = 'https://api.weixin.qq.com';

export function wechatAuthorizationUrl(
  def: ProviderDef,
  redirectUri: string,
  state: string,
): string {
  const u = new URL(def.authorization_endpoint ?? QR);
  u.searchParams.set('appid', def.client_id);
  u.searchParams.set('redirect_uri', redirectUri);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('scope', def.scopes.join(',') || 'snsapi_login');
  u.searchParams.set('state', state);
  return `${u.href}#wechat_redirect`;
}

interface WechatAnswer {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  openid?: string;
  unionid?: string;
  nickname?: string;
}

async function call(url: URL, fetchFn: typeof fetch): Promise<WechatAnswer> {
  const res = await fetchFn(url, { headers: { accept: 'application/json' } });
  if (!res.ok) fail('OAUTH_PROVIDER_FAILED');
  const body = (await readJson(res)) as WechatAnswer;
  if (!body || typeof body !== 'object') fail('OAUTH_PROVIDER_FAILED');
  // 40029 invalid code, 40163 code been used: the code is refused, not WeChat failing.
  if (body.errcode === 40029 || body.errcode === 40163) fail('OAUTH_CODE_REJECTED');
  if (body.errcode) fail('OAUTH_PROVIDER_FAILED');
  return body;
}

export async function wechatProfile(
  def: ProviderDef,
  params: URLSearchParams,
  fetchFn: typeof fetch,
): Promise<ExternalProfile> {
  const code = params.get('code');
  if (!code || code.length > 512) fail('OAUTH_DENIED');
  const base = (def.token_endpoint ?? API).replace(/\/+$/, '');
  const t = new URL(`${base}/sns/oauth2/access_token`);
  t.search = new URLSearchParams({
    appid: def.client_id,
    secret: def.client_secret,
    code,
    grant_type: 'authorization_code',
  }).toString();
  const tok = await call(t, fetchFn);
  if (typeof tok.access_token !== 'string' || typeof tok.openid !== 'string' || !tok.openid)
    fail('OAUTH_PROVIDER_FAILED');
  let nickname: string | null = null;
  let unionId = typeof tok.unionid === 'string' ? tok.unionid : null;
  const u = new URL(`${base}/sns/userinfo`);
  u.search = new URLSearchParams({ access_token: tok.access_token, openid: tok.openid }).toString();
  const info = await call(u, fetchFn);
  if (typeof info.nickname === 'string') nickname = info.nickname.slice(0, 64);
  if (!unionId && typeof info.unionid === 'string') unionId = info.unionid;
  return {
    provider: `wechat-web:${def.client_id}`,
    subject: tok.openid.slice(0, 128),
    unionId: unionId?.slice(0, 128) ?? null,
    email: null,
    emailVerified: false,
    displayName: nickname,
    preferredUsername: nickname,
  };
}
