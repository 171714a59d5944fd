import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RequestMeta } from '../contract/meta.js';
import type { Config } from '../config/schema.js';
import type { TenantId, TenantSql } from '../db/scope.js';
import { inUnit, type Unit } from '../db/unit.js';
import type { TenantCore } from '../feature/contract.js';
import type { Clock } from '../lib/clock.js';
import { fail, rateLimited } from '../lib/errors.js';
import type { Mailer, MailTemplates } from '../mail/types.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { ipKey } from '../rate-limit/ip-key.js';
import type { LimiterFactory } from '../rate-limit/limiter.js';
import type { UserRow } from '../users/store.js';
import type { Background } from './background.js';
import { createTokenStore, type TokenPurpose, type TokenRow } from './store.js';
import { mailLink, newToken, tokenHash } from './tokens.js';

/** The mails that carry a token: their template and variables. */
type TokenMail = {
  [T in 'password-reset' | 'email-verification']: { template: T; vars: MailTemplates[T] };
}['password-reset' | 'email-verification'];

export interface CredentialDeps {
  config: Config;
  clock: Clock;
  sql: TenantSql;
  limiters: LimiterFactory;
  hasher: PasswordHasher;
  mail: Mailer;
  background: Background;
  /** Clears the brute-force failures and locks of these login names (src/brute-force/). */
  unlock: (accountKeys: string[], tenant: TenantId) => Promise<void>;
  report: (e: unknown, what: string) => void;
}

/** Where a request came from, and the language its mail should be in. */
export type Origin = RequestMeta & { locale?: string | null | undefined };

/** What a verification request did: `waitMs` > 0 when the account's hourly budget is spent. */
interface Sent {
  sent: boolean;
  waitMs: number;
}

/** Consumes one point; the wait in ms when the key has none left, 0 otherwise (a store failure lets it through). */
async function take(l: RateLimiterAbstract, key: string, report: CredentialDeps['report']) {
  try {
    await l.consume(key);
    return 0;
  } catch (e) {
    if (e instanceof RateLimiterRes) return Math.max(1, e.msBeforeNext);
    report(e, 'credentials rate limit');
    return 0;
  }
}

/**
 * Password reset, e-mail verification and password change (issue 13). The
 * deployment's part (limiters, the background queue) is built once; each
 * tenant's part on first use, over the tenant's users, sessions and audit.
 */
export function createCredentials(d: CredentialDeps) {
  const { config, clock } = d;
  const hour = 3600;
  const forgotIp = d.limiters({
    name: 'cred:forgot-ip',
    points: config.forgotPerIpPerHour,
    durationSec: hour,
  });
  const forgotAccount = d.limiters({
    name: 'cred:forgot-account',
    points: config.forgotPerAccountPerHour,
    durationSec: hour,
  });
  const verifyMails = d.limiters({
    name: 'cred:verify-mail',
    points: config.verificationMailsPerHour,
    durationSec: hour,
  });
  const built = new WeakMap<TenantCore, ReturnType<typeof tenantCredentials>>();

  function forTenant(tc: TenantCore): ReturnType<typeof tenantCredentials> {
    let c = built.get(tc);
    if (!c) built.set(tc, (c = tenantCredentials(tc)));
    return c;
  }

  function tenantCredentials(tc: TenantCore) {
    const { users, audit, tenant } = tc;
    const db = d.sql.scope(tenant);
    const tokens = createTokenStore(db);
    const unit = <T>(fn: (u: Unit) => Promise<T>) =>
      inUnit(db, fn, undefined, (e) => d.report(e, 'credentials'));
    const acctKey = (userId: number) => `${tenant}\0${userId}`;
    const mode = () => tc.settings.get().emailVerification;

    /** The live row of a presented token, or TOKEN_INVALID / TOKEN_EXPIRED (audited). */
    async function redeemable(token: string, purpose: TokenPurpose, meta: RequestMeta) {
      const hash = tokenHash(token);
      const row = await tokens.byHash(hash);
      const refuse = (code: 'TOKEN_INVALID' | 'TOKEN_EXPIRED', r?: TokenRow): never => {
        audit.record({
          event: purpose === 'reset' ? 'password.reset' : 'email.verify',
          outcome: 'failure',
          userId: r?.user_id ?? null,
          ip: meta.ip,
          userAgent: meta.userAgent,
          deviceId: meta.deviceId ?? null,
          reason: code,
        });
        fail(code);
      };
      if (!row || row.purpose !== purpose || row.used_at !== null)
        return refuse('TOKEN_INVALID', row);
      if (Number(row.expires_at) <= clock.now()) return refuse('TOKEN_EXPIRED', row);
      const user = await users.byId(row.user_id);
      if (!user) return refuse('TOKEN_INVALID', row);
      return { hash, row, user };
    }

    /** The `password-changed` notice, in the change's unit (sent after its commit). */
    async function notice(u: Unit, user: UserRow, meta: Origin) {
      if (!user.email) return;
      await d.mail.enqueue(
        tenant,
        {
          to: user.email,
          template: 'password-changed',
          locale: user.locale ?? meta.locale,
          vars: { username: user.username, at: new Date(clock.now()).toISOString(), ip: meta.ip },
        },
        u,
      );
    }

    /**
     * One single-use token of `purpose` for the user's current address, its mail (the link
     * carries the token; only its hash is stored) and the audit row, in one transaction.
     */
    async function mailToken(
      user: UserRow,
      purpose: 'reset' | 'verify',
      ttlMs: number,
      locale: string | null | undefined,
      mail: (link: string) => TokenMail,
      auditRow: (u: Unit) => Promise<void>,
    ): Promise<void> {
      const t = newToken();
      const now = clock.now();
      await unit(async (u) => {
        await tokens.insert(
          {
            token_hash: t.hash,
            user_id: user.id,
            purpose,
            email_key: user.email_key,
            created_at: now,
            expires_at: now + ttlMs,
            used_at: null,
          },
          u.tx,
        );
        const m = mail(mailLink(config, purpose, t.token, tenant));
        await d.mail.enqueue(tenant, { to: user.email!, locale: user.locale ?? locale, ...m }, u);
        await auditRow(u);
      });
    }

    async function sendReset(login: string, meta: Origin): Promise<void> {
      const user = await users.byLoginName(login);
      const facts = {
        ip: meta.ip,
        userAgent: meta.userAgent,
        deviceId: meta.deviceId ?? null,
        username: login.slice(0, 64),
      };
      if (!user?.email || user.status !== 'active') {
        audit.record({
          ...facts,
          event: 'password.forgot',
          outcome: 'info',
          userId: user?.id ?? null,
          reason: user ? 'no_email' : 'unknown_account',
        });
        return;
      }
      if (await take(forgotAccount, acctKey(user.id), d.report)) {
        audit.record({
          ...facts,
          event: 'password.forgot',
          outcome: 'failure',
          userId: user.id,
          reason: 'RATE_LIMITED',
        });
        return;
      }
      const minutes = config.resetTokenTtlMinutes;
      await mailToken(
        user,
        'reset',
        minutes * 60_000,
        meta.locale,
        (link) => ({
          template: 'password-reset',
          vars: { username: user.username, link, minutes: String(minutes) },
        }),
        (u) =>
          audit.write(u, {
            ...facts,
            event: 'password.forgot',
            outcome: 'success',
            userId: user.id,
          }),
      );
    }

    /** A verification mail for the user's current address, at most so many an hour. */
    async function sendVerification(user: UserRow, meta?: Origin): Promise<Sent> {
      if (mode() === 'off' || !user.email || user.email_verified_at !== null)
        return { sent: false, waitMs: 0 };
      // Per account and address: a new address gets its mail even when the old one spent the budget.
      const waitMs = await take(verifyMails, `${acctKey(user.id)}\0${user.email_key}`, d.report);
      if (waitMs) return { sent: false, waitMs };
      const hours = config.verifyTokenTtlHours;
      await mailToken(
        user,
        'verify',
        hours * 3_600_000,
        meta?.locale,
        (link) => ({
          template: 'email-verification',
          vars: { username: user.username, link, hours: String(hours) },
        }),
        (u) =>
          audit.write(u, {
            event: 'email.verification',
            outcome: 'success',
            userId: user.id,
            ip: meta?.ip ?? null,
            userAgent: meta?.userAgent ?? null,
          }),
      );
      return { sent: true, waitMs: 0 };
    }

    return {
      mode,
      sendVerification,

      /**
       * A reset request. What depends on the account (the lookup, the
       * per-account limit, the token, the mail) runs after the answer, so the
       * answer and its timing are the same whether the account exists or not;
       * only the per-IP limit, which knows nothing of accounts, can refuse.
       */
      async forgot(login: string, meta: Origin): Promise<void> {
        const wait = await take(forgotIp, ipKey(meta.ip), d.report);
        if (wait) rateLimited(wait);
        d.background.run('password reset mail', () => sendReset(login, meta));
      },

      /** Sets a new password with a reset token: every session ends, the lockout clears, every reset token dies. */
      async reset(token: string, password: string, meta: Origin): Promise<void> {
        const r = await redeemable(token, 'reset', meta);
        // The rules first: a refused password leaves the token usable.
        const hash = await users.newPasswordHash(r.user, password);
        const now = clock.now();
        await unit(async (u) => {
          if (!(await tokens.use(r.hash, now, u.tx))) fail('TOKEN_INVALID');
          await users.store.setPasswordHash(r.user.id, hash, now, true, u.tx);
          await tokens.voidAll(r.user.id, 'reset', now, u.tx);
          await tc.sessions.endAll(
            r.user.id,
            'PASSWORD_CHANGED',
            { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null },
            u,
          );
          await notice(u, r.user, meta);
          await audit.write(u, {
            event: 'password.reset',
            outcome: 'success',
            userId: r.user.id,
            ip: meta.ip,
            userAgent: meta.userAgent,
            deviceId: meta.deviceId ?? null,
          });
        });
        const keys = [r.user.username_key, ...(r.user.email_key ? [r.user.email_key] : [])];
        await d.unlock(keys, tenant).catch((e: unknown) => d.report(e, 'unlock after reset'));
      },

      /**
       * Self-service change behind the current password: every other session
       * of the user ends. A wrong current password is audited and answered
       * INVALID_CREDENTIALS.
       */
      async changePassword(
        userId: number,
        currentSid: string,
        current: string,
        next: string,
        meta: Origin,
      ): Promise<void> {
        const actor = {
          actorId: userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          deviceId: meta.deviceId ?? null,
        };
        const user = await users.byId(userId);
        if (!user || !(await d.hasher.verify(user.password_hash, current))) {
          audit.record({
            event: 'password.change',
            outcome: 'failure',
            userId,
            reason: 'bad_password',
            ...actor,
          });
          fail('INVALID_CREDENTIALS');
        }
        const hash = await users.newPasswordHash(user, next);
        const now = clock.now();
        await unit(async (u) => {
          await users.store.setPasswordHash(user.id, hash, now, true, u.tx);
          await tokens.voidAll(user.id, 'reset', now, u.tx);
          await tc.sessions.endAll(user.id, 'PASSWORD_CHANGED', { ...actor, keep: currentSid }, u);
          await notice(u, user, meta);
          await audit.write(u, {
            event: 'password.change',
            outcome: 'success',
            userId: user.id,
            sessionId: currentSid,
            ...actor,
          });
        });
      },

      /** Proves the address a verification token was sent to (if it is still the user's). */
      async verifyEmail(token: string, meta: Origin): Promise<void> {
        const r = await redeemable(token, 'verify', meta);
        if (r.row.email_key === null || r.row.email_key !== r.user.email_key) fail('TOKEN_INVALID');
        const now = clock.now();
        await unit(async (u) => {
          if (!(await tokens.use(r.hash, now, u.tx))) fail('TOKEN_INVALID');
          await users.store.update(r.user.id, { email_verified_at: now, updated_at: now }, u.tx);
          await tokens.voidAll(r.user.id, 'verify', now, u.tx);
          await audit.write(u, {
            event: 'email.verify',
            outcome: 'success',
            userId: r.user.id,
            ip: meta.ip,
            userAgent: meta.userAgent,
            deviceId: meta.deviceId ?? null,
          });
        });
      },

      /** The resend endpoint: a new verification mail for the caller (rate limited: 429). */
      async resendVerification(userId: number, meta: Origin): Promise<void> {
        const user = await users.byId(userId);
        if (!user) fail('TOKEN_INVALID');
        if (mode() === 'off') fail('CONFLICT', { detail: 'e-mail verification is off' });
        if (!user.email) fail('CONFLICT', { detail: 'the account has no e-mail address' });
        if (user.email_verified_at !== null)
          fail('CONFLICT', { detail: 'the e-mail address is already verified' });
        const r = await sendVerification(user, meta);
        if (r.waitMs) rateLimited(r.waitMs);
      },
    };
  }

  return { forTenant, idle: () => d.background.idle() };
}

export type TenantCredentials = ReturnType<Credentials['forTenant']>;
export type Credentials = ReturnType<typeof createCredentials>;
