import type { Kysely } from 'kysely';
import type { Audit, RequestMeta } from '../audit/audit.js';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import { fail, isTesseraError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { SessionService } from '../sessions/service.js';
import type { SettingsService } from '../settings/service.js';
import type { AccessClaims } from '../tokens/claims.js';
import type { AccessIssuer } from '../tokens/issue.js';
import { createPairIssuer, type TokenPair } from '../tokens/pair.js';
import type { RefreshStore } from '../tokens/refresh-store.js';
import { hashRefreshToken, newRefreshToken } from '../tokens/refresh-token.js';
import { createRefreshRotation } from '../tokens/rotation.js';
import { checkEmail, checkUsername } from '../users/identity.js';
import type { UserRow } from '../users/store.js';
import type { UserService } from '../users/service.js';
import type { AuthHooks } from './guard.js';

export interface LoginInput {
  username: string;
  password?: string | undefined;
  encryptedPassword?: string | undefined;
  keyId?: string | undefined;
  captcha?: string | undefined;
  user_type?: string | undefined;
}

export type { TokenPair } from '../tokens/pair.js';

export interface LoginResult {
  tokens: TokenPair;
  user: UserRow;
  roles: string[];
  claims: AccessClaims;
}

export interface AuthDeps {
  db: Kysely<Database>;
  users: UserService;
  hasher: PasswordHasher;
  sessions: SessionService;
  refresh: RefreshStore;
  issuer: AccessIssuer;
  settings: SettingsService;
  audit: Audit;
  clock: Clock;
  /** Read at each call: modules install their guard, captcha and decryptor after start. */
  hooks: AuthHooks;
  plainLogin: boolean;
  refreshGraceSec: number;
  /** An after-commit effect (publish) failed: reported, never thrown. */
  onEffectError?: (e: unknown) => void;
}

/** Canonical account key for counters: what the user typed, folded like usernames. */
function accountKey(name: string): string {
  const u = checkUsername(name);
  if (u.ok) return u.key;
  const e = checkEmail(name);
  return e.ok ? e.key : name.normalize('NFKC').toLowerCase().slice(0, 256);
}

/**
 * Login, register and logout (refresh rotation: src/tokens/rotation.ts),
 * the token lifecycle of seed 001.
 * Every failed login answers INVALID_CREDENTIALS whatever the cause (unknown
 * user, wrong password, undecryptable ciphertext, wrong user type) after the
 * same amount of hashing work, so the answer says nothing about which.
 */
export function createAuthService(d: AuthDeps) {
  const { clock } = d;
  const unit = <T>(fn: (u: Unit) => Promise<T>) => inUnit(d.db, fn, undefined, d.onEffectError);
  const issuePair = createPairIssuer(d.issuer, clock);
  const rotation = createRefreshRotation({ ...d, issuePair });

  async function resolvePassword(input: LoginInput): Promise<string | null> {
    if (input.encryptedPassword !== undefined || input.keyId !== undefined) {
      if (!input.encryptedPassword || !input.keyId) fail('VALIDATION_FAILED', { detail: 'encryptedPassword and keyId go together' });
      const decryptor = d.hooks.decryptor;
      if (!decryptor) fail('KEY_NOT_FOUND');
      const r = await decryptor.consume(input.keyId, input.encryptedPassword);
      return r.ok ? r.password : null;
    }
    if (input.password === undefined) fail('VALIDATION_FAILED', { detail: 'password or encryptedPassword is required' });
    if (!d.plainLogin) fail('VALIDATION_FAILED', { detail: 'plain password login is disabled: use encryptedPassword' });
    return input.password;
  }

  return {
    async login(input: LoginInput, meta: RequestMeta): Promise<LoginResult> {
      const key = accountKey(input.username);
      const attempt = { accountKey: key, ip: meta.ip, captcha: input.captcha, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
      const base = { username: input.username.slice(0, 64), ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
      // Looked up first so a refused attempt (locked, captcha) is audited against the user; the answer does not depend on it.
      const user = await d.users.byLoginName(input.username);
      try {
        await d.hooks.guard.before(attempt);
      } catch (e) {
        if (isTesseraError(e)) d.audit.record({ ...base, event: 'login.failure', outcome: 'failure', userId: user?.id ?? null, reason: e.code });
        throw e;
      }
      const password = await resolvePassword(input);
      let ok = false;
      let reason = 'unknown_user';
      if (user && password !== null) {
        ok = await d.hasher.verify(user.password_hash, password);
        reason = ok ? '' : 'bad_password';
      } else {
        await d.hasher.verifyDummy(password ?? '');
        if (user) reason = 'undecryptable';
      }
      if (ok && input.user_type && user!.user_type !== input.user_type) {
        ok = false;
        reason = 'user_type';
      }
      if (!ok || !user) {
        await d.hooks.guard.failed({ ...attempt, userId: user?.id });
        d.audit.record({ ...base, event: 'login.failure', outcome: 'failure', userId: user?.id ?? null, reason });
        fail('INVALID_CREDENTIALS');
      }
      if (user.status !== 'active') {
        d.audit.record({ ...base, event: 'login.failure', outcome: 'failure', userId: user.id, reason: 'disabled' });
        fail('ACCOUNT_DISABLED');
      }
      await d.hooks.guard.succeeded({ ...attempt, userId: user.id });
      // An imported bcrypt hash becomes argon2id now that we know the password.
      void d.users.rehashIfNeeded(user, password!).catch(() => {});
      const refreshToken = newRefreshToken();
      // The session (and the ones the policy ends), its first refresh token and
      // the audit row commit together.
      const { session, refreshExp } = await unit(async (u) => {
        const session = await d.sessions.open(user, meta, u);
        const refreshExp = Math.min(clock.now() + d.settings.get().refreshTokenTtl * 1000, session.expires_at);
        await d.refresh.insert({ token_hash: hashRefreshToken(refreshToken), session_id: session.id, user_id: user.id, issued_at: clock.now(), expires_at: refreshExp, used_at: null, successor: null }, u.tx);
        await d.audit.write(u, { ...base, event: 'login.success', outcome: 'success', userId: user.id, sessionId: session.id, data: { method: input.encryptedPassword ? 'rsa' : 'password' } });
        return { session, refreshExp };
      });
      const roles = await d.users.roles(user.id);
      const pair = await issuePair(user, roles, session, refreshToken, refreshExp);
      return { ...pair, user, roles };
    },

    async register(input: { username: string; email: string; password: string; phoneNumber?: string | undefined; captcha?: string | undefined }, meta: RequestMeta): Promise<UserRow> {
      if (d.settings.get().registerCaptcha) await d.hooks.captcha.require(input.captcha, 'register', meta);
      try {
        return await d.users.create({ username: input.username, email: input.email, password: input.password, phoneNumber: input.phoneNumber ?? null }, (u, user) =>
          d.audit.write(u, { event: 'register', outcome: 'success', userId: user.id, username: user.username, ip: meta.ip, userAgent: meta.userAgent }),
        );
      } catch (e) {
        if (isTesseraError(e)) d.audit.record({ event: 'register', outcome: 'failure', username: input.username.slice(0, 64), ip: meta.ip, userAgent: meta.userAgent, reason: e.code });
        throw e;
      }
    },

    /** Rotates a refresh token: src/tokens/rotation.ts. */
    refresh: (token: string, meta: RequestMeta): Promise<TokenPair> => rotation.rotate(token, meta),

    async logout(claims: AccessClaims, meta: RequestMeta): Promise<void> {
      const facts = { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
      // Ending, revoking and both audit rows commit together; a repeated
      // logout of an ended session makes sure of its revocation again.
      await unit(async (u) => {
        await d.sessions.end(claims.sid, 'LOGGED_OUT', facts, u);
        await d.audit.write(u, { ...facts, event: 'logout', outcome: 'success', userId: Number(claims.sub), sessionId: claims.sid });
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
