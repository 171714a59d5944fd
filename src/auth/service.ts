import type { Kysely } from 'kysely';
import type { Audit, RequestMeta } from '../audit/audit.js';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import { fail, isTesseraError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { lastSeenIntervalSec } from '../sessions/last-seen.js';
import type { SessionService } from '../sessions/service.js';
import type { SettingsService } from '../settings/service.js';
import type { AccessClaims } from '../tokens/claims.js';
import type { AccessIssuer } from '../tokens/issue.js';
import type { RefreshStore } from '../tokens/refresh-store.js';
import { hashRefreshToken, isRefreshTokenShape, newRefreshToken, openSuccessor, sealSuccessor } from '../tokens/refresh-token.js';
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

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_expires_in: number;
}

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
 * Login, register, refresh and logout: the token lifecycle of seed 001.
 * Every failed login answers INVALID_CREDENTIALS whatever the cause (unknown
 * user, wrong password, undecryptable ciphertext, wrong user type) after the
 * same amount of hashing work, so the answer says nothing about which.
 */
export function createAuthService(d: AuthDeps) {
  const { clock } = d;
  const unit = <T>(fn: (u: Unit) => Promise<T>) => inUnit(d.db, fn, undefined, d.onEffectError);

  async function issuePair(user: UserRow, roles: string[], session: { id: string; expires_at: number }, refreshToken: string, refreshExp: number): Promise<{ tokens: TokenPair; claims: AccessClaims }> {
    const access = await d.issuer.issue(user, roles, session);
    return {
      claims: access.claims,
      tokens: {
        access_token: access.token,
        refresh_token: refreshToken,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        refresh_expires_in: Math.max(0, Math.round((refreshExp - clock.now()) / 1000)),
      },
    };
  }

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

    /**
     * Rotates a refresh token (RFC 9700 §4.14): single use; a reused token
     * ends its whole session, unless it is a retry within the grace window,
     * which gets the same successor back.
     */
    async refresh(token: string, meta: RequestMeta): Promise<TokenPair> {
      if (!isRefreshTokenShape(token)) fail('TOKEN_INVALID');
      const hash = hashRefreshToken(token);
      const now = clock.now();
      const graceMs = d.refreshGraceSec * 1000;
      const s = d.settings.get();
      const audit = { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
      const rotated = await unit(async (u) => {
        const tx = u.tx;
        const row = await d.refresh.get(hash, tx);
        if (!row) fail('TOKEN_INVALID');
        if (row.used_at !== null) return { used: row };
        if (row.expires_at <= now) {
          // A refresh token expires with its session at the latest: past the
          // session's own end (absolute, idle, or ended), say so and end it.
          if (!d.sessions.usable(await d.sessions.get(row.session_id, tx), now)) return { unusable: row };
          fail('TOKEN_EXPIRED');
        }
        const session = await d.sessions.get(row.session_id, tx);
        if (!d.sessions.usable(session, now)) return { unusable: row };
        const successor = newRefreshToken();
        if (!(await d.refresh.markUsed(hash, now, graceMs > 0 ? sealSuccessor(token, successor) : null, tx))) {
          return { used: { ...row, used_at: now, successor: null } };
        }
        const exp = Math.min(now + s.refreshTokenTtl * 1000, session.expires_at);
        await d.refresh.insert({ token_hash: hashRefreshToken(successor), session_id: session.id, user_id: row.user_id, issued_at: now, expires_at: exp, used_at: null, successor: null }, tx);
        // A refresh is activity; written only when last-seen is older than its interval.
        if (now - session.last_seen_at >= lastSeenIntervalSec(s) * 1000) {
          await tx.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', session.id).execute();
          d.sessions.noteActivity(session.id, now);
        }
        await d.audit.write(u, { ...audit, event: 'refresh', outcome: 'success', userId: row.user_id, sessionId: session.id });
        return { fresh: { successor, exp, session } };
      });
      if ('unusable' in rotated) {
        const row = rotated.unusable!;
        await unit(async (u) => {
          await d.sessions.end(row.session_id, 'EXPIRED', audit, u);
          await d.audit.write(u, { ...audit, event: 'refresh', outcome: 'failure', userId: row.user_id, sessionId: row.session_id, reason: 'SESSION_ENDED' });
        });
        fail('SESSION_ENDED');
      }
      if ('used' in rotated) {
        const row = rotated.used!;
        const latest = await d.refresh.get(hash);
        if (graceMs > 0 && latest?.successor && latest.used_at !== null && now - latest.used_at <= graceMs) {
          const successor = openSuccessor(token, latest.successor);
          const session = await d.sessions.get(row.session_id);
          const next = successor ? await d.refresh.get(hashRefreshToken(successor)) : undefined;
          if (successor && next && d.sessions.usable(session, now)) {
            const user = await d.users.byId(row.user_id);
            if (user && user.status === 'active') {
              d.audit.record({ ...audit, event: 'refresh', outcome: 'success', userId: user.id, sessionId: row.session_id, reason: 'grace_retry' });
              return (await issuePair(user, await d.users.roles(user.id), session, successor, next.expires_at)).tokens;
            }
          }
        }
        await unit(async (u) => {
          await d.sessions.end(row.session_id, 'REFRESH_REUSE', audit, u);
          await d.audit.write(u, { ...audit, event: 'refresh.reuse', outcome: 'failure', userId: row.user_id, sessionId: row.session_id, reason: 'TOKEN_REVOKED' });
        });
        fail('TOKEN_REVOKED');
      }
      const { successor, exp, session } = rotated.fresh!;
      const user = await d.users.byId(session.user_id);
      if (!user || user.status !== 'active') {
        await d.sessions.end(session.id, 'USER_DISABLED', audit);
        fail('SESSION_ENDED');
      }
      return (await issuePair(user, await d.users.roles(user.id), session, successor, exp)).tokens;
    },

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
