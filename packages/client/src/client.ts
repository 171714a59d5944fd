import {
  solveAltcha,
  type CaptchaChallenge,
  type CaptchaPurpose,
  type CaptchaSolver,
} from './captcha.js';
import { encryptPassword, type PublicKey } from './crypto.js';
import { isTesseraError, TesseraError } from './errors.js';
import { createTransport, type FetchLike, type Transport } from './http.js';
import { defaultLock, type RefreshLock } from './locks.js';
import { createPresence, type PresenceClient, type PresenceOptions } from './presence.js';
import { memoryStorage, tokenStore, type StorageLike, type Tokens } from './storage.js';
import type { WebSocketConstructor } from './presence.js';

export interface ClientOptions {
  /** Where Tessera is reached, e.g. `https://auth.example.com`; `''` = this page's origin. */
  baseUrl: string;
  /** The API prefix (the server's TESSERA_CONTEXT_PATH). @default '/api' */
  contextPath?: string;
  /** Tenant name, sent as `X-Tessera-Tenant` (and as the `/t/<tenant>` prefix of the socket). */
  tenant?: string;
  /** Where tokens live; shared storage is how tabs share a session. @default localStorage, else memory */
  storage?: StorageLike;
  /** Storage key of the token pair. @default 'tessera.tokens' (+ ':<tenant>') */
  storageKey?: string;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** For the presence client; Node 20 has none: pass `ws`'s. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** `Accept-Language` of every request (`en`, `zh-CN`): the language of messages and mails. */
  locale?: string;
  /** The lock that serialises refreshes across tabs. @default Web Locks, else BroadcastChannel, else in-process */
  lock?: RefreshLock;
  /**
   * Captcha answers when the server asks for one: the default solves ALTCHA
   * challenges here (and refuses Turnstile, which needs a widget); a function
   * shows your widget; `false` never answers (CAPTCHA_REQUIRED is thrown).
   */
  captcha?: CaptchaSolver | false;
  /** Encrypt the password (RSA-OAEP, one-time key) instead of sending it as is. @default true */
  encryptedLogin?: boolean;
  /** Refresh this long before the access token expires. @default 30_000 */
  refreshLeewayMs?: number;
  /** Refresh in the background before expiry (a timer), not only when a call needs a token. @default true */
  autoRefresh?: boolean;
  /** Time source (tests). @default Date.now */
  clock?: { now(): number };
}

/** The token pair of a login or refresh, as the server answers it. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_expires_in: number;
}

export interface LoginInput {
  username: string;
  password: string;
  /** Overrides the client's `encryptedLogin` for this call. */
  encrypted?: boolean;
  /** A second-factor code, to log in with one call when the user has a factor. */
  mfaCode?: string;
  /** A captcha solution obtained beforehand. */
  captcha?: string;
  deviceId?: string;
  deviceName?: string;
  userType?: string;
}

/** A login either signs in, or asks for the second factor (`client.verifyMfa(code)`). */
export type LoginResult =
  | { mfaRequired: false; tokens: Tokens }
  | {
      mfaRequired: true;
      /** Single use, lives `expiresIn` seconds, dies after 5 wrong codes. */
      ticket: string;
      methods: string[];
      expiresIn: number;
    };

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  phoneNumber?: string;
  /** Language of the account's mails. @default the client's locale */
  locale?: string;
  captcha?: string;
}

/** `GET <ctx>/public/auth/me`. */
export interface Me {
  userId: number;
  username: string;
  /** Roles as `ROLE_*`. */
  authorities: string[];
  user_type?: string;
  role?: string;
  level?: number;
  scope?: string;
  session_id?: string;
  expires_at?: number;
  [k: string]: unknown;
}

/** One of the caller's sessions (devices). */
export interface SessionView {
  id: string;
  device_id: string | null;
  device_name: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  current: boolean;
}

/** Why the tokens changed: kept in storage by this client or another tab, or dropped. */
export type TokensChange =
  'login' | 'refresh' | 'logout' | 'session_ended' | 'refresh_failed' | 'storage';
export type TokensListener = (tokens: Tokens | null, why: TokensChange) => void;

export interface TesseraClient {
  /** Logs in. Resolves `{ mfaRequired: true, ticket }` when a second factor is needed. */
  login(input: LoginInput): Promise<LoginResult>;
  /** Completes a login that answered `mfaRequired` (the last ticket unless given). */
  verifyMfa(code: string, ticket?: string): Promise<Tokens>;
  register(input: RegisterInput): Promise<void>;
  /** Asks for a reset mail (by username or e-mail); the same answer whether or not the account exists. */
  requestPasswordReset(login: string): Promise<void>;
  /** Sets a new password with the token of the reset mail; every session of the user ends. */
  resetPassword(token: string, newPassword: string): Promise<void>;
  /** Changes the caller's password; the other sessions end. */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  /** Proves an e-mail address with the token of a verification mail. */
  verifyEmail(token: string): Promise<void>;
  /** Rotates the refresh token once, serialised across tabs (see `lock`). */
  refresh(): Promise<Tokens>;
  /** Ends this session on the server (best effort) and forgets the tokens. */
  logout(): Promise<void>;
  /** Ends every session of the caller, this one included. */
  logoutAll(): Promise<number>;
  me(): Promise<Me>;
  sessions: {
    list(): Promise<SessionView[]>;
    /** Ends one session; ending the current one signs this client out. */
    end(id: string): Promise<void>;
  };
  /** An access token valid for at least `refreshLeewayMs` (refreshed if needed), or null when signed out. */
  getAccessToken(): Promise<string | null>;
  /** The stored tokens, as they are (no refresh). */
  getTokens(): Tokens | null;
  /**
   * An authenticated call to any `/api` route: refreshed token, one retry on
   * TOKEN_EXPIRED, the envelope opened.
   */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Called when the tokens change here or in another tab; returns the unsubscribe. */
  onTokens(listener: TokensListener): () => void;
  /** The realtime presence socket (`/ws`), with reconnect and heartbeat. */
  presence(options?: PresenceOptions): PresenceClient;
  /** Stops timers and listeners (the tokens stay in storage). */
  close(): void;
}

const KEY_RETRY = new Set(['KEY_EXPIRED', 'KEY_NOT_FOUND']);
/** 401 codes meaning the session is over, not just this token. */
const SESSION_OVER = new Set(['SESSION_ENDED', 'TOKEN_REVOKED']);

function defaultStorage(): StorageLike {
  try {
    const ls = (globalThis as { localStorage?: StorageLike }).localStorage;
    if (ls) return ls;
  } catch {
    // Access denied (sandboxed iframe, disabled storage): fall back to memory.
  }
  return memoryStorage();
}

function randomId(): string {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** `ws(s)://<host>[<path>][/t/<tenant>]/ws` from the base URL (relative: against this page). */
function socketUrl(baseUrl: string, tenant: string | undefined): string {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const u = new URL(baseUrl || '/', page);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = `${path}${tenant ? `/t/${encodeURIComponent(tenant)}` : ''}/ws`;
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** The `sid` claim of an access token (no verification: the server does that). */
function sidOf(token: string): string | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const sid = (JSON.parse(json) as { sid?: unknown }).sid;
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Tessera client for one user at a time.
 *
 * @example
 * const auth = createClient({ baseUrl: 'https://auth.example.com' });
 * const r = await auth.login({ username, password });
 * if (r.mfaRequired) await auth.verifyMfa(prompt('Code') ?? '');
 * const me = await auth.me();
 */
export function createClient(o: ClientOptions): TesseraClient {
  const f = o.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
  if (!f) throw new Error('no fetch: pass options.fetch');
  const clock = o.clock ?? { now: () => Date.now() };
  const leeway = o.refreshLeewayMs ?? 30_000;
  const storage = o.storage ?? defaultStorage();
  const store = tokenStore(
    storage,
    o.storageKey ?? (o.tenant ? `tessera.tokens:${o.tenant}` : 'tessera.tokens'),
  );
  const t: Transport = createTransport({
    api: `${o.baseUrl}${o.contextPath ?? '/api'}`,
    fetch: f,
    tenant: o.tenant,
    locale: o.locale,
  });
  const lock = o.lock ?? defaultLock();
  const lockName = `tessera-refresh:${t.api}:${store.key}`;
  // Binds one-time keys to this client (X-Session-Id); per client, so tabs never race for a key.
  const keySession = randomId();
  const listeners = new Set<TokensListener>();
  let mfaTicket: string | undefined;
  let pendingRefresh: Promise<Tokens> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const emit = (tokens: Tokens | null, why: TokensChange) => {
    schedule(tokens);
    for (const l of [...listeners]) l(tokens, why);
  };
  const save = (p: TokenPair, why: TokensChange): Tokens => {
    const now = clock.now();
    const tokens: Tokens = {
      access_token: p.access_token,
      refresh_token: p.refresh_token,
      expires_at: now + p.expires_in * 1000,
      refresh_expires_at: now + p.refresh_expires_in * 1000,
    };
    store.write(tokens);
    emit(tokens, why);
    return tokens;
  };
  const drop = (why: TokensChange) => {
    const had = store.read() !== null;
    store.clear();
    mfaTicket = undefined;
    if (had || why === 'logout') emit(null, why);
  };
  const fresh = (x: Tokens) => clock.now() < x.expires_at - leeway;

  function schedule(tokens: Tokens | null): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (closed || !tokens || o.autoRefresh === false) return;
    const delay = Math.max(0, tokens.expires_at - leeway - clock.now());
    timer = setTimeout(() => {
      timer = undefined;
      const now = store.read();
      if (!now) return;
      if (fresh(now)) return schedule(now);
      refresh().catch(() => {
        // Not a refusal (network, 503): try again shortly; a refusal dropped the tokens.
        const still = store.read();
        if (!still || closed) return;
        timer = setTimeout(() => schedule(store.read()), 15_000);
        (timer as { unref?: () => void }).unref?.();
      });
    }, delay);
    (timer as { unref?: () => void }).unref?.();
  }

  // Another tab wrote or cleared the tokens (browsers fire `storage` in the other tabs only).
  const onStorage = (ev: { key?: string | null }) => {
    const key = ev.key;
    if (key === store.key || key === null) emit(store.read(), 'storage');
  };
  type Listen = (type: 'storage', fn: typeof onStorage) => void;
  const win = globalThis as { addEventListener?: Listen; removeEventListener?: Listen };
  const listensStorage = !o.storage && typeof win.addEventListener === 'function';
  if (listensStorage) win.addEventListener!('storage', onStorage);

  function refresh(): Promise<Tokens> {
    if (pendingRefresh) return pendingRefresh;
    const seen = store.read();
    const p = lock
      .run(lockName, async () => {
        const now = store.read();
        if (!now) throw new TesseraError('TOKEN_MISSING', 401, 'TOKEN_MISSING: not signed in');
        // Another tab (or client) rotated while this one waited for the lock: use its pair.
        if (seen && now.refresh_token !== seen.refresh_token) {
          emit(now, 'storage');
          return now;
        }
        try {
          const pair = await t.call<TokenPair>('POST', '/public/auth/refresh', {
            body: { refresh_token: now.refresh_token },
          });
          return save(pair, 'refresh');
        } catch (e) {
          if (isTesseraError(e) && e.status === 401) drop('refresh_failed');
          throw e;
        }
      })
      .finally(() => {
        pendingRefresh = undefined;
      });
    pendingRefresh = p;
    return p;
  }

  async function getAccessToken(): Promise<string | null> {
    const now = store.read();
    if (!now) return null;
    if (fresh(now)) return now.access_token;
    return (await refresh()).access_token;
  }

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await getAccessToken();
    if (!token) throw new TesseraError('TOKEN_MISSING', 401, 'TOKEN_MISSING: not signed in');
    try {
      return await t.call<T>(method, path, { token, body });
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      if (e.code === 'TOKEN_EXPIRED') {
        const cur = store.read();
        // Rotated meanwhile by another tab: retry with its token; else refresh (once).
        const next =
          cur && cur.access_token !== token && fresh(cur)
            ? cur.access_token
            : (await refresh()).access_token;
        return t.call<T>(method, path, { token: next, body });
      }
      if (SESSION_OVER.has(e.code) && store.read()?.access_token === token) drop('session_ended');
      throw e;
    }
  }

  async function solveFor(purpose: CaptchaPurpose, cause: TesseraError): Promise<string> {
    if (o.captcha === false) throw cause;
    const c = await t.call<CaptchaChallenge>('GET', `/public/captcha/challenge?purpose=${purpose}`);
    if (o.captcha) return o.captcha(c);
    if (c.provider !== 'altcha') throw cause;
    return solveAltcha(c);
  }

  /** `send(captcha)`; on CAPTCHA_REQUIRED, once more with a solution. */
  async function withCaptcha<T>(
    purpose: CaptchaPurpose,
    given: string | undefined,
    send: (captcha: string | undefined) => Promise<T>,
  ): Promise<T> {
    try {
      return await send(given);
    } catch (e) {
      if (!isTesseraError(e) || e.code !== 'CAPTCHA_REQUIRED' || given !== undefined) throw e;
      return send(await solveFor(purpose, e));
    }
  }

  async function postLogin(
    input: LoginInput,
    captcha: string | undefined,
    secret: Record<string, string>,
  ): Promise<TokenPair> {
    return t.call<TokenPair>('POST', '/public/auth/login', {
      body: {
        username: input.username,
        ...secret,
        ...(captcha !== undefined ? { captcha } : {}),
        ...(input.mfaCode !== undefined ? { mfa_code: input.mfaCode } : {}),
        ...(input.deviceId !== undefined ? { device_id: input.deviceId } : {}),
        ...(input.deviceName !== undefined ? { device_name: input.deviceName } : {}),
        ...(input.userType !== undefined ? { user_type: input.userType } : {}),
      },
    });
  }

  /** One encrypted attempt per key; a new key and one retry on KEY_EXPIRED / KEY_NOT_FOUND. */
  async function encryptedLogin(input: LoginInput, captcha: string | undefined) {
    for (let attempt = 0; ; attempt++) {
      const key = await t.call<PublicKey>('GET', '/public/auth/public-key?alg=RSA-OAEP-256', {
        headers: { 'x-session-id': keySession },
      });
      const encryptedPassword = await encryptPassword(key, input.password);
      try {
        return await postLogin(input, captcha, { encryptedPassword, keyId: key.key_id });
      } catch (e) {
        if (attempt === 0 && isTesseraError(e) && KEY_RETRY.has(e.code)) continue;
        throw e;
      }
    }
  }

  async function mfaOrThrow(e: unknown): Promise<LoginResult> {
    if (isTesseraError(e) && e.code === 'MFA_REQUIRED' && typeof e.data?.mfa_ticket === 'string') {
      mfaTicket = e.data.mfa_ticket;
      return {
        mfaRequired: true,
        ticket: mfaTicket,
        methods: Array.isArray(e.data.methods) ? (e.data.methods as string[]) : [],
        expiresIn: typeof e.data.expires_in === 'number' ? e.data.expires_in : 0,
      };
    }
    throw e;
  }

  const client: TesseraClient = {
    async login(input) {
      const encrypted = input.encrypted ?? o.encryptedLogin ?? true;
      try {
        const pair = await withCaptcha('login', input.captcha, (captcha) =>
          encrypted
            ? encryptedLogin(input, captcha)
            : postLogin(input, captcha, { password: input.password }),
        );
        mfaTicket = undefined;
        return { mfaRequired: false, tokens: save(pair, 'login') };
      } catch (e) {
        return mfaOrThrow(e);
      }
    },

    async verifyMfa(code, ticket = mfaTicket) {
      if (!ticket)
        throw new TesseraError('MFA_TICKET_INVALID', 401, 'MFA_TICKET_INVALID: log in first');
      const pair = await withCaptcha('login', undefined, (captcha) =>
        t.call<TokenPair>('POST', '/public/auth/mfa/verify', {
          body: { mfa_ticket: ticket, code, ...(captcha !== undefined ? { captcha } : {}) },
        }),
      );
      mfaTicket = undefined;
      return save(pair, 'login');
    },

    async register(input) {
      const locale = input.locale ?? o.locale;
      await withCaptcha('register', input.captcha, (captcha) =>
        t.call<null>('POST', '/public/auth/register', {
          body: {
            username: input.username,
            email: input.email,
            password: input.password,
            ...(input.phoneNumber !== undefined ? { phoneNumber: input.phoneNumber } : {}),
            ...(locale !== undefined ? { locale } : {}),
            ...(captcha !== undefined ? { captcha } : {}),
          },
        }),
      );
    },

    async requestPasswordReset(login) {
      await t.call('POST', '/public/auth/password/forgot', { body: { login } });
    },
    async resetPassword(token, newPassword) {
      await t.call('POST', '/public/auth/password/reset', {
        body: { token, new_password: newPassword },
      });
      drop('session_ended');
    },
    async changePassword(currentPassword, newPassword) {
      await request('POST', '/auth/password', {
        current_password: currentPassword,
        new_password: newPassword,
      });
    },
    async verifyEmail(token) {
      await t.call('POST', '/public/auth/email/verify', { body: { token } });
    },

    refresh,

    async logout() {
      try {
        // An expired access token is refreshed first, or the server session would stay alive.
        const token = await getAccessToken();
        if (token) await t.call('POST', '/public/auth/logout', { token });
      } catch {
        // Already ended, expired, or unreachable: the tokens are forgotten here either way.
      } finally {
        drop('logout');
      }
    },

    async logoutAll() {
      const r = await request<{ ended: number }>('POST', '/auth/logout-all');
      drop('logout');
      return r.ended;
    },

    me: () => request<Me>('GET', '/public/auth/me'),

    sessions: {
      list: () => request<SessionView[]>('GET', '/auth/sessions'),
      async end(id) {
        const cur = store.read();
        await request('DELETE', `/auth/sessions/${encodeURIComponent(id)}`);
        if (cur && sidOf(cur.access_token) === id) drop('session_ended');
      },
    },

    getAccessToken,
    getTokens: () => store.read(),
    request,

    onTokens(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },

    presence(po = {}) {
      const WS = po.WebSocket ?? o.WebSocket;
      return createPresence({
        ...po,
        ...(WS ? { WebSocket: WS } : {}),
        url: po.url ?? socketUrl(o.baseUrl, o.tenant),
        token: getAccessToken,
        onSessionEnded: () => drop('session_ended'),
      });
    },

    close() {
      closed = true;
      schedule(null);
      listeners.clear();
      if (listensStorage) win.removeEventListener?.('storage', onStorage);
    },
  };

  schedule(store.read());
  return client;
}
