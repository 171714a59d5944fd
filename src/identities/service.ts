import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Audit } from '../audit/audit.js';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import type { Clock } from '../lib/clock.js';
import { randomId } from '../lib/crypto.js';
import { fail, isTesseraError } from '../lib/errors.js';
import { checkEmail, checkPhone, checkUsername } from '../users/identity.js';
import { hasUsablePassword, type UserService } from '../users/service.js';
import type { UserRow } from '../users/store.js';
import type { IdentityStore } from './store.js';
import type { AuditActor, ExternalProfile, IdentityRow } from './types.js';

/** Attempts at a free generated username before giving up (each adds random characters). */
const NAME_ATTEMPTS = 5;
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

const randomChars = (n: number) =>
  Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

/** `wx` for the WeChat family, `user` for anything else: the start of a generated username. */
const namePrefix = (provider: string) => (provider.startsWith('wechat') ? 'wx' : 'user');

/** A provider's suggestion made into a username, or a generated one (`wx_k3m9…`). */
function candidateName(p: ExternalProfile, attempt: number): string {
  const suggested = (p.preferredUsername ?? '')
    .normalize('NFKC')
    .replace(/[^\p{L}\p{M}\p{N}._-]/gu, '')
    .slice(0, 40);
  if (suggested && checkUsername(suggested).ok)
    return attempt === 0 ? suggested : `${suggested}_${randomChars(4 + attempt)}`;
  return `${namePrefix(p.provider)}_${randomChars(10 + attempt)}`;
}

/**
 * External identities of a tenant's users: finding the user an identity
 * belongs to, creating one for a new identity, linking and unlinking, with
 * the two rules that keep accounts reachable and unambiguous:
 *  - an identity belongs to one user (IDENTITY_IN_USE), a WeChat unionid too;
 *  - a user keeps at least one way to log in (LAST_LOGIN_METHOD).
 * Users it creates have no usable password (users/service.ts NO_PASSWORD).
 * E-mail addresses are never used to attach an identity to an existing
 * account (anyone can claim an address at some provider); a verified one
 * that no account uses becomes the new user's e-mail.
 */
export function createIdentityService(d: {
  db: Kysely<Database>;
  store: IdentityStore;
  users: UserService;
  audit: Audit;
  clock: Clock;
  onEffectError?: (e: unknown) => void;
}) {
  const { store, users, clock } = d;
  const unit = <T>(fn: (u: Unit) => Promise<T>, outer?: Unit) =>
    inUnit(d.db, fn, outer, d.onEffectError);

  const newRow = (userId: number, p: ExternalProfile): IdentityRow => ({
    id: randomId(),
    user_id: userId,
    provider: p.provider,
    subject: p.subject,
    union_id: p.unionId || null,
    email: p.email?.slice(0, 254) || null,
    email_verified: p.emailVerified === true && !!p.email,
    display_name: p.displayName?.slice(0, 128) || null,
    created_at: clock.now(),
    last_login_at: null,
  });

  const linkAudit = (u: Unit, userId: number, p: ExternalProfile, actor: AuditActor, how: string) =>
    d.audit.write(u, {
      event: 'identity.link',
      outcome: 'success',
      userId,
      ...actor,
      data: { provider: p.provider, by: how },
    });

  /** The user row of an identity, its login time noted (and a unionid WeChat now sends). */
  async function userOf(row: IdentityRow, p: ExternalProfile): Promise<UserRow | undefined> {
    const user = await users.byId(row.user_id);
    if (user) await store.touch(row.id, clock.now(), row.union_id ? null : p.unionId || null);
    return user;
  }

  async function newUserEmail(p: ExternalProfile): Promise<string | null> {
    if (!p.email || p.emailVerified !== true) return null;
    const e = checkEmail(p.email);
    if (!e.ok || (await users.store.existsKey(e.key, e.key))) return null;
    return e.display;
  }

  async function create(
    p: ExternalProfile,
    userType: string | undefined,
  ): Promise<{ user: UserRow; created: boolean }> {
    const email = await newUserEmail(p);
    const phone = p.phoneNumber && checkPhone(p.phoneNumber).ok ? p.phoneNumber : null;
    for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
      try {
        const user = await users.create(
          {
            username: candidateName(p, attempt),
            email,
            emailVerified: email !== null,
            password: null,
            phoneNumber: phone,
            displayName: p.displayName?.slice(0, 128) ?? null,
            userType,
          },
          async (u, user) => {
            await store.insert({ ...newRow(user.id, p), last_login_at: clock.now() }, u.tx);
            await d.audit.write(u, {
              event: 'register',
              outcome: 'success',
              userId: user.id,
              username: user.username,
              data: { provider: p.provider },
            });
          },
        );
        return { user, created: true };
      } catch (e) {
        if (!isTesseraError(e) || e.code !== 'USER_EXISTS') throw e;
        // The identity made by a concurrent first login, or a name taken: look again, then another name.
        const row = await store.find(p.provider, p.subject);
        const user = row && (await users.byId(row.user_id));
        if (user) return { user, created: false };
      }
    }
    throw new Error('no free username for a new external identity');
  }

  return {
    find: (provider: string, subject: string) => store.find(provider, subject),
    /** By WeChat unionid, any provider of the family. */
    findByUnion: (unionId: string) => store.findByUnion(unionId),
    list: (userId: number) => store.list(userId),

    /**
     * Links an identity to a user. Idempotent for the same user; refused with
     * IDENTITY_IN_USE when it (or its unionid) belongs to another user, and
     * with CONFLICT when the user already has another identity of the same
     * provider (unlink it first). Audited (identity.link).
     */
    link(
      userId: number,
      p: ExternalProfile,
      actor: AuditActor,
      outer?: Unit,
    ): Promise<IdentityRow> {
      return unit(async (u) => {
        const existing = await store.find(p.provider, p.subject, u.tx);
        if (existing) {
          if (existing.user_id === userId) return existing;
          fail('IDENTITY_IN_USE');
        }
        if (p.unionId) {
          const sibling = await store.findByUnion(p.unionId, u.tx);
          if (sibling && sibling.user_id !== userId) fail('IDENTITY_IN_USE');
        }
        const mine = await store.list(userId, u.tx);
        if (mine.some((r) => r.provider === p.provider))
          fail('CONFLICT', {
            detail: 'this account already has an identity of this provider: unlink it first',
          });
        const row = newRow(userId, p);
        try {
          await store.insert(row, u.tx);
        } catch (e) {
          if (/unique|23505/i.test(String((e as { code?: string }).code ?? (e as Error).message)))
            fail('IDENTITY_IN_USE');
          throw e;
        }
        await linkAudit(u, userId, p, actor, 'link');
        return row;
      }, outer);
    },

    /**
     * Unlinks the user's identity of `provider`. NOT_FOUND when there is
     * none; LAST_LOGIN_METHOD when it is the user's last way to log in (no
     * usable password, no other identity). The user's row is locked first,
     * so two unlinks at once cannot both pass the check. Audited (identity.unlink).
     */
    unlink(userId: number, provider: string, actor: AuditActor, outer?: Unit): Promise<void> {
      return unit(async (u) => {
        // A no-op write takes the row lock (PostgreSQL); SQLite's writers are serialised anyway.
        await u.tx
          .updateTable('users')
          .set((eb) => ({ updated_at: eb.ref('updated_at') }))
          .where('id', '=', userId)
          .execute();
        const user = await users.store.byId(userId, u.tx);
        const rows = await store.list(userId, u.tx);
        const target = rows.filter((r) => r.provider === provider);
        if (!user || target.length === 0) fail('NOT_FOUND');
        if (!hasUsablePassword(user) && rows.length === target.length) fail('LAST_LOGIN_METHOD');
        await store.delete(userId, provider, u.tx);
        await d.audit.write(u, {
          event: 'identity.unlink',
          outcome: 'success',
          userId,
          ...actor,
          data: { provider },
        });
      }, outer);
    },

    /**
     * The user of an identity, or a new one (generated username, no usable
     * password) when `create`: by the identity itself, then by its WeChat
     * unionid (the same person in another app of the company: the identity is
     * linked to that user). `INVALID_CREDENTIALS` when nothing matches and
     * `create` is false.
     */
    async resolveOrCreate(
      p: ExternalProfile,
      opts: { create: boolean; userType?: string | undefined },
    ): Promise<{ user: UserRow; created: boolean }> {
      const row = await store.find(p.provider, p.subject);
      if (row) {
        const user = await userOf(row, p);
        if (user) return { user, created: false };
      }
      if (p.unionId) {
        const sibling = await store.findByUnion(p.unionId);
        const user = sibling && (await users.byId(sibling.user_id));
        if (user) {
          try {
            await unit(async (u) => {
              await store.insert({ ...newRow(user.id, p), last_login_at: clock.now() }, u.tx);
              await linkAudit(u, user.id, p, {}, 'union');
            });
          } catch (e) {
            // The same first login on two nodes at once: the other one linked it.
            if (!(await store.find(p.provider, p.subject))) throw e;
          }
          return { user, created: false };
        }
      }
      if (!opts.create) fail('INVALID_CREDENTIALS');
      return create(p, opts.userType);
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
