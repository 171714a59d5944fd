import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import { fail } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { PasswordPolicy, WeakPassword } from '../passwords/policy.js';
import type { RoleService } from '../roles/service.js';
import { checkEmail, checkPhone, checkUsername } from './identity.js';
import type { UserRow, UserStore } from './store.js';

export interface NewUserInput {
  username: string;
  email?: string | null | undefined;
  /** null: no usable password (a user created by an external identity, e.g. WeChat). */
  password: string | null;
  phoneNumber?: string | null | undefined;
  displayName?: string | null | undefined;
  userType?: string | undefined;
  roles?: string[] | undefined;
  /** Skip the password rules (CLI import of existing users, random first-run password). */
  trustedPassword?: boolean;
  /** Preferred language of mails (register: the body's `locale` or Accept-Language). */
  locale?: string | null | undefined;
  /** The e-mail counts as verified from the start (demo users). */
  emailVerified?: boolean;
}

/** A user type: a lower-case identifier (`user`, `kefu`, …). */
export const USER_TYPE = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * `users.password_hash` of an account without a password (created by an
 * external identity, or imported without a hash): it never verifies, since no
 * hash format the hasher knows begins with `!`.
 */
export const NO_PASSWORD = '!none';

/** Whether the stored hash is a password someone can log in with (not the NO_PASSWORD marker). */
export function hasUsablePassword(user: Pick<UserRow, 'password_hash'>): boolean {
  return !user.password_hash.startsWith('!');
}

function isUniqueViolation(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : '';
  const code = (e as { code?: string }).code;
  return (
    code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(msg)
  );
}

/**
 * Refuses a password the rules refuse: a form error (length, control
 * characters) is VALIDATION_FAILED as before; a guessable, common or breached
 * one is PASSWORD_WEAK. Either message says why, in the client's language.
 */
function failWeakPassword(w: WeakPassword): never {
  const localized = { en: w.en, zh: w.zh };
  if (w.reason === 'length' || w.reason === 'control')
    fail('VALIDATION_FAILED', { detail: w.en, localized });
  fail('PASSWORD_WEAK', {
    detail: w.en,
    localized,
    data: { reason: w.reason, ...(w.score !== undefined ? { score: w.score } : {}) },
  });
}

/** Users: creation with all identity checks, passwords, roles. */
export function createUserService(d: {
  db: Kysely<Database>;
  store: UserStore;
  hasher: PasswordHasher;
  roles: RoleService;
  clock: Clock;
  /** The password rules in force (src/passwords/policy.ts). */
  policy: PasswordPolicy;
}) {
  const { store, hasher, clock } = d;

  async function checkPassword(password: string, username: string): Promise<void> {
    const weak = await d.policy.check(password, username);
    if (weak) failWeakPassword(weak);
  }

  function validated(input: NewUserInput) {
    const u = checkUsername(input.username);
    if (!u.ok) fail('VALIDATION_FAILED', { detail: u.problem });
    let email: { display: string; key: string } | null = null;
    if (input.email) {
      const e = checkEmail(input.email);
      if (!e.ok) fail('VALIDATION_FAILED', { detail: e.problem });
      email = e;
    }
    let phone: string | null = null;
    if (input.phoneNumber) {
      const p = checkPhone(input.phoneNumber);
      if (!p.ok) fail('VALIDATION_FAILED', { detail: p.problem });
      phone = p.display;
    }
    const userType = input.userType ?? 'user';
    if (!USER_TYPE.test(userType))
      fail('VALIDATION_FAILED', { detail: 'user_type must be a lower-case identifier' });
    const roles = input.roles ?? ['user'];
    for (const r of roles)
      if (!d.roles.get(r)) fail('VALIDATION_FAILED', { detail: `unknown role ${r}` });
    return { u, email, phone, userType, roles };
  }

  async function newPasswordHash(
    user: Pick<UserRow, 'username'>,
    password: string,
  ): Promise<string> {
    await checkPassword(password, user.username);
    return hasher.hash(password);
  }

  return {
    /**
     * Creates a user; USER_EXISTS when the username or e-mail (in canonical
     * form) is taken. A null password makes an account that logs in only
     * by an external identity (src/identities/). `within` runs inside the creating transaction (the
     * audit row); hashing happens before it, so no transaction waits on it.
     */
    async create(
      input: NewUserInput,
      within?: (u: Unit, user: UserRow) => Promise<void>,
    ): Promise<UserRow> {
      const v = validated(input);
      const password = input.password;
      if (password !== null && !input.trustedPassword) await checkPassword(password, v.u.display);
      if (await store.existsKey(v.u.key, v.email?.key ?? null)) fail('USER_EXISTS');
      const hash = password === null ? NO_PASSWORD : await hasher.hash(password);
      const now = clock.now();
      try {
        return await inUnit(d.db, async (u) => {
          const tx = u.tx;
          const id = await store.insert(
            {
              username: v.u.display,
              username_key: v.u.key,
              email: v.email?.display ?? null,
              email_key: v.email?.key ?? null,
              phone_number: v.phone,
              display_name: input.displayName?.trim() || null,
              password_hash: hash,
              user_type: v.userType,
              status: 'active',
              created_at: now,
              updated_at: now,
              password_changed_at: now,
              locale: input.locale?.slice(0, 64) || null,
              email_verified_at: input.emailVerified && v.email ? now : null,
            },
            v.roles,
            tx,
          );
          const user = (await store.byId(id, tx))!;
          await within?.(u, user);
          return user;
        });
      } catch (e) {
        if (isUniqueViolation(e)) fail('USER_EXISTS');
        throw e;
      }
    },

    /** The hash of a new password for `user`, policy-checked (hashing stays outside any transaction). */
    newPasswordHash,

    /** Sets a new password (policy-checked). */
    async setPassword(userId: number, password: string): Promise<void> {
      const user = await store.byId(userId);
      if (!user) fail('NOT_FOUND');
      await store.setPasswordHash(userId, await newPasswordHash(user, password), clock.now(), true);
    },

    /** Replaces a bcrypt (imported) or weaker hash by current argon2id after a successful login. */
    async rehashIfNeeded(user: UserRow, password: string): Promise<boolean> {
      if (!hasher.needsRehash(user.password_hash)) return false;
      await store.setPasswordHash(user.id, await hasher.hash(password), clock.now(), false);
      return true;
    },

    byLoginName(name: string): Promise<UserRow | undefined> | undefined {
      const u = checkUsername(name);
      if (u.ok) return store.byLogin(u.key);
      const e = checkEmail(name);
      return e.ok ? store.byLogin(e.key) : undefined;
    },
    byId: (id: number) => store.byId(id),
    roles: (id: number) => store.roles(id),
    store,
  };
}

export type UserService = ReturnType<typeof createUserService>;
