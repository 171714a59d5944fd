import { fail, rateLimited, TesseraError } from '../lib/errors.js';

/** A mini-program's credentials, as the WeChat server API takes them. */
export interface WechatApp {
  appId: string;
  secret: string;
}

/** What jscode2session proves: who logged in. The session_key is dropped on arrival (decision 0019). */
export interface WechatSession {
  openid: string;
  unionid: string | null;
}

/** An access token was refused (40001, 40014, 42001): the caller drops it and asks for a new one once. */
export class AccessTokenRejected extends Error {
  constructor(readonly errcode: number) {
    super(`WeChat refused the access token (errcode ${errcode})`);
    this.name = 'AccessTokenRejected';
  }
}

/** Answers of the WeChat API are small JSON objects; anything larger is not one. */
const MAX_BODY_BYTES = 64 * 1024;
/** openid / unionid: 28 characters in practice; base64-ish. */
const WECHAT_ID = /^[\w-]{1,128}$/;
const TOKEN_REJECTED = new Set([40001, 40014, 42001]);

/**
 * WeChat's error codes in Tessera's terms. The client's own fault (a bad or
 * used code) is 401; WeChat's quota 429; everything else (busy, a refused
 * AppSecret or server IP, an unknown code) is WeChat failing us: 502, logged
 * by the caller with the errcode.
 */
function mapped(errcode: number, what: string, usesToken: boolean): never {
  const logMessage = `WeChat ${what}: errcode ${errcode}`;
  if (errcode === 40029) fail('WECHAT_CODE_INVALID', { logMessage });
  if (errcode === 40163) fail('WECHAT_CODE_USED', { logMessage });
  if (errcode === 45011) rateLimited(60_000, 'WECHAT_RATE_LIMITED');
  if (usesToken && TOKEN_REJECTED.has(errcode)) throw new AccessTokenRejected(errcode);
  fail('WECHAT_UNAVAILABLE', { logMessage, data: { errcode } });
}

async function readCapped(body: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new Error('answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The three calls of the WeChat server API that Tessera makes, each bounded
 * by `timeoutMs` (504 WECHAT_TIMEOUT) and by the answer's size; a refused
 * connection, a 5xx or an answer that is not JSON is 502 WECHAT_UNAVAILABLE.
 * No error or log message carries the AppSecret, a code or a token.
 */
export function createWechatClient(o: { baseUrl: string; timeoutMs: number }) {
  const base = o.baseUrl.replace(/\/+$/, '');

  async function call(
    what: string,
    path: string,
    init: { method: 'GET' | 'POST'; body?: unknown; usesToken?: boolean },
  ): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method: init.method,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        fail('WECHAT_TIMEOUT', { logMessage: `WeChat ${what}: no answer in ${o.timeoutMs} ms` });
      fail('WECHAT_UNAVAILABLE', { logMessage: `WeChat ${what}: ${name}` });
    }
    let text: string;
    try {
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        fail('WECHAT_UNAVAILABLE', { logMessage: `WeChat ${what}: HTTP ${res.status}` });
      }
      text = await readCapped(res.body);
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      const name = (e as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        fail('WECHAT_TIMEOUT', { logMessage: `WeChat ${what}: answer cut at ${o.timeoutMs} ms` });
      fail('WECHAT_UNAVAILABLE', { logMessage: `WeChat ${what}: ${(e as Error).message}` });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      fail('WECHAT_UNAVAILABLE', { logMessage: `WeChat ${what}: not JSON` });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      fail('WECHAT_UNAVAILABLE', { logMessage: `WeChat ${what}: not an object` });
    const out = json as Record<string, unknown>;
    const errcode = typeof out.errcode === 'number' ? out.errcode : 0;
    if (errcode !== 0) mapped(errcode, what, init.usesToken === true);
    return out;
  }

  return {
    /** `GET /sns/jscode2session`: the openid (and unionid) of a `wx.login()` code. */
    async code2session(app: WechatApp, code: string): Promise<WechatSession> {
      const q = new URLSearchParams({
        appid: app.appId,
        secret: app.secret,
        js_code: code,
        grant_type: 'authorization_code',
      });
      const r = await call('jscode2session', `/sns/jscode2session?${q}`, { method: 'GET' });
      const openid = str(r.openid);
      const unionid = str(r.unionid);
      if (!openid || !WECHAT_ID.test(openid) || (unionid !== undefined && !WECHAT_ID.test(unionid)))
        fail('WECHAT_UNAVAILABLE', { logMessage: 'WeChat jscode2session: no valid openid' });
      return { openid, unionid: unionid || null };
    },

    /** `POST /cgi-bin/stable_token`: the app's access token and its lifetime in seconds. */
    async stableToken(app: WechatApp): Promise<{ accessToken: string; expiresIn: number }> {
      const r = await call('stable_token', '/cgi-bin/stable_token', {
        method: 'POST',
        body: {
          grant_type: 'client_credential',
          appid: app.appId,
          secret: app.secret,
          force_refresh: false,
        },
      });
      const accessToken = str(r.access_token);
      const expiresIn = typeof r.expires_in === 'number' ? r.expires_in : NaN;
      if (!accessToken || accessToken.length > 2048 || !(expiresIn > 0))
        fail('WECHAT_UNAVAILABLE', { logMessage: 'WeChat stable_token: no valid token' });
      return { accessToken, expiresIn };
    },

    /** `POST /wxa/business/getuserphonenumber`: the number a `getPhoneNumber` code stands for. */
    async phoneNumber(app: WechatApp, accessToken: string, code: string): Promise<string> {
      const q = new URLSearchParams({ access_token: accessToken });
      const r = await call('getuserphonenumber', `/wxa/business/getuserphonenumber?${q}`, {
        method: 'POST',
        body: { code },
        usesToken: true,
      });
      const info = (r.phone_info ?? {}) as Record<string, unknown>;
      const watermark = (info.watermark ?? {}) as Record<string, unknown>;
      const phone = str(info.phoneNumber);
      if (!phone || (watermark.appid !== undefined && watermark.appid !== app.appId))
        fail('WECHAT_UNAVAILABLE', { logMessage: 'WeChat getuserphonenumber: no valid number' });
      return phone;
    },
  };
}

export type WechatClient = ReturnType<typeof createWechatClient>;
