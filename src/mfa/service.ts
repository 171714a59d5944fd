import type { AuditEntry } from '../audit/audit.js';
import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import { inUnit, type Unit } from '../db/unit.js';
import type { RequestMeta } from '../contract/meta.js';
import type { Core, TenantCore, TenantServices } from '../feature/contract.js';
import type { LoginResult } from '../login/pipeline.js';
import { safeEqual } from '../lib/crypto.js';
import { fail, rateLimited } from '../lib/errors.js';
import type { UserRow } from '../users/store.js';
import {
  looksLikeTotp,
  newRecoveryCodes,
  newTotpSecret,
  normaliseRecoveryCode,
  provisioning,
  recoveryHash,
  totpStep,
} from './codes.js';
import { SECOND_FACTOR_STEP } from './step-name.js';
import { createMfaStore, type MfaStore, type TicketRow } from './store.js';
import { createTickets } from './tickets.js';

export type SecondFactor = 'totp' | 'recovery_code';
type Facts = Pick<AuditEntry, 'ip' | 'userAgent' | 'deviceId'>;

/** Self-service attempts (password or code) a user may make per quarter hour. */
const SELF_ATTEMPTS = 10;

/**
 * The second factor's rules, for every tenant (each call names its tenant's
 * services; the rows are read through that tenant's scope): enrolment,
 * confirmation, turning off, the admin reset, codes and tickets. The login
 * step (login-step.ts) and the routes are thin over this.
 */
export function createMfaService(core: Core) {
  const { clock, sealer } = core;
  const stores = new Map<TenantId, MfaStore>();
  const storeOf = (t: TenantId): MfaStore => {
    let s = stores.get(t);
    if (!s) {
      if (stores.size > 1000) stores.clear();
      stores.set(t, (s = createMfaStore(core.sql.scope(t), sealer)));
    }
    return s;
  };
  const selfLimit = core.limiters({ name: 'mfa-self', points: SELF_ATTEMPTS, durationSec: 900 });
  const unit = <T>(tc: TenantCore, fn: (u: Unit) => Promise<T>) =>
    inUnit(storeOf(tc.tenant).db, fn, undefined, (e) => core.report(e, 'mfa'));

  const tickets = createTickets({ clock, ttlSec: () => core.config.mfaTicketTtl, storeOf });
  const issuerOf = (t: TenantId) =>
    t === DEFAULT_TENANT ? core.config.mfaIssuer : `${core.config.mfaIssuer} (${t})`;

  async function throttleSelf(tc: TenantCore, userId: number): Promise<void> {
    try {
      await selfLimit.consume(`${tc.tenant}:${userId}`);
    } catch (e) {
      if (e instanceof Error) throw e;
      rateLimited((e as { msBeforeNext: number }).msBeforeNext);
    }
  }

  async function userOf(tc: TenantCore, userId: number): Promise<UserRow> {
    const u = await tc.users.byId(userId);
    if (!u) fail('TOKEN_INVALID');
    return u;
  }

  /**
   * Checks `code` (TOTP or recovery code) against the user's active factor
   * and, in one transaction, uses it up together with `also` (the ticket).
   * Throws MFA_INVALID (wrong, or no active factor), MFA_CODE_REUSED (this
   * step was accepted already), or whatever `also` throws; nothing is
   * written then.
   */
  async function proveCode(
    tc: TenantCore,
    user: UserRow,
    code: string,
    facts: Facts,
    also?: (u: Unit) => Promise<void>,
  ): Promise<SecondFactor> {
    const store = storeOf(tc.tenant);
    const factor = await store.factor(user.id);
    if (factor?.status !== 'active') fail('MFA_INVALID');
    const now = clock.now();
    if (looksLikeTotp(code)) {
      const step = totpStep(factor.secret, code, now);
      if (step === null) fail('MFA_INVALID');
      await unit(tc, async (u) => {
        if (!(await store.claimStep(user.id, step, u.tx))) fail('MFA_CODE_REUSED');
        await also?.(u);
      });
      return 'totp';
    }
    const norm = normaliseRecoveryCode(code);
    if (norm === null) fail('MFA_INVALID');
    const mine = recoveryHash(user.id, norm);
    // Every unused code is compared, in constant time each.
    let hit: string | undefined;
    const hashes = await store.unusedRecoveryHashes(user.id);
    for (const h of hashes) if (safeEqual(h, mine)) hit = h;
    if (!hit) fail('MFA_INVALID');
    const used = hit;
    await unit(tc, async (u) => {
      if (!(await store.useRecoveryCode(user.id, used, now, u.tx))) fail('MFA_INVALID');
      await also?.(u);
      await tc.audit.write(u, {
        ...facts,
        event: 'mfa.recovery_code_used',
        outcome: 'success',
        userId: user.id,
        username: user.username,
        data: { recovery_codes_left: hashes.length - 1 },
      });
    });
    return 'recovery_code';
  }

  /** Activates the pending factor with its first code; returns the recovery codes (shown once). */
  async function activate(
    tc: TenantCore,
    user: UserRow,
    code: string,
    facts: Facts,
    also?: (u: Unit) => Promise<void>,
  ): Promise<string[]> {
    const store = storeOf(tc.tenant);
    const factor = await store.factor(user.id);
    if (!factor) fail('MFA_NOT_ENROLLED');
    if (factor.status === 'active') fail('MFA_ALREADY_ENROLLED');
    const now = clock.now();
    const step = totpStep(factor.secret, code, now);
    if (step === null) fail('MFA_INVALID');
    const codes = newRecoveryCodes();
    await unit(tc, async (u) => {
      if (!(await store.claimStep(user.id, step, u.tx))) fail('MFA_CODE_REUSED');
      if (!(await store.activate(user.id, now, u.tx))) fail('MFA_ALREADY_ENROLLED');
      await store.putRecoveryCodes(
        user.id,
        codes.map((c) => recoveryHash(user.id, normaliseRecoveryCode(c)!)),
        now,
        u.tx,
      );
      await also?.(u);
      await tc.audit.write(u, {
        ...facts,
        event: 'mfa.confirm',
        outcome: 'success',
        userId: user.id,
        username: user.username,
        data: { method: 'totp' },
      });
    });
    return codes;
  }

  /** Is a second factor required of this user (TESSERA_MFA_REQUIRED_ROLES / _USER_TYPES, the tenant's)? */
  async function required(tc: TenantCore, user: UserRow): Promise<boolean> {
    const s = tc.settings.get();
    const list = (v: string) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    if (list(s.mfaRequiredUserTypes).includes(user.user_type)) return true;
    const roles = list(s.mfaRequiredRoles);
    if (roles.length === 0) return false;
    return (await tc.users.roles(user.id)).some((r) => roles.includes(r));
  }

  return {
    storeOf,
    proveCode,
    activate,
    required,

    async status(tc: TenantCore, userId: number) {
      const store = storeOf(tc.tenant);
      const user = await userOf(tc, userId);
      const f = await store.factor(userId);
      const active = f?.status === 'active';
      return {
        totp: { enabled: active, pending: f?.status === 'pending' },
        recovery_codes_left: active ? (await store.unusedRecoveryHashes(userId)).length : 0,
        methods: active ? ['totp', 'recovery_code'] : [],
        required: await required(tc, user),
      };
    },

    /**
     * A new pending TOTP factor: behind the current password (self-service)
     * or an enrolment ticket (`password: null`, checked by the caller).
     */
    async enroll(tc: TenantCore, userId: number, password: string | null, facts: Facts) {
      const store = storeOf(tc.tenant);
      const user = await userOf(tc, userId);
      if (password !== null) {
        await throttleSelf(tc, userId);
        if (!(await core.hasher.verify(user.password_hash, password))) {
          tc.audit.record({
            ...facts,
            event: 'mfa.enroll',
            outcome: 'failure',
            userId,
            username: user.username,
            reason: 'bad_password',
          });
          fail('INVALID_CREDENTIALS');
        }
      }
      if ((await store.factor(userId))?.status === 'active') fail('MFA_ALREADY_ENROLLED');
      const secret = newTotpSecret();
      await store.putPending(userId, secret, clock.now());
      tc.audit.record({
        ...facts,
        event: 'mfa.enroll',
        outcome: 'success',
        userId,
        username: user.username,
        data: { method: 'totp' },
      });
      const p = await provisioning(secret, issuerOf(tc.tenant), user.username);
      return { secret, otpauth_uri: p.uri, qr_svg: p.svg };
    },

    /** Self-service confirmation: the first valid code activates the factor. */
    async confirm(tc: TenantCore, userId: number, code: string, facts: Facts): Promise<string[]> {
      await throttleSelf(tc, userId);
      return activate(tc, await userOf(tc, userId), code, facts);
    },

    /** Turns the factor off, behind the current password or a code (TOTP or recovery code). */
    async disable(
      tc: TenantCore,
      userId: number,
      proof: { current_password?: string; code?: string },
      facts: Facts,
    ): Promise<void> {
      const store = storeOf(tc.tenant);
      const user = await userOf(tc, userId);
      const factor = await store.factor(userId);
      if (!factor) fail('MFA_NOT_ENROLLED');
      await throttleSelf(tc, userId);
      const done = async (u: Unit) => {
        await store.remove(userId, u.tx);
        await tc.audit.write(u, {
          ...facts,
          event: 'mfa.disable',
          outcome: 'success',
          userId,
          username: user.username,
          data: { method: 'totp', by: proof.code !== undefined ? 'code' : 'password' },
        });
      };
      if (proof.current_password !== undefined) {
        if (!(await core.hasher.verify(user.password_hash, proof.current_password)))
          fail('INVALID_CREDENTIALS');
        await unit(tc, done);
        return;
      }
      if (proof.code === undefined)
        fail('VALIDATION_FAILED', { detail: 'current_password or code is required' });
      if (factor.status !== 'active') fail('MFA_NOT_ENROLLED');
      await proveCode(tc, user, proof.code, facts, done);
    },

    /** An administrator removes a user's factor (lost phone): audited with the actor. */
    async reset(
      tc: TenantCore,
      userId: number,
      actor: Facts & { actorId: number | null },
    ): Promise<void> {
      const store = storeOf(tc.tenant);
      const user = await tc.users.byId(userId);
      if (!user) fail('NOT_FOUND');
      await unit(tc, async (u) => {
        if (!(await store.remove(userId, u.tx))) fail('MFA_NOT_ENROLLED');
        await tc.audit.write(u, {
          ...actor,
          event: 'mfa.reset',
          outcome: 'success',
          userId,
          username: user.username,
          data: { method: 'totp' },
        });
      });
    },

    ...tickets,

    /**
     * Completes a login a ticket interrupted (verify, or the forced
     * enrolment's confirm): the ticket's login resumes from the account stage
     * (src/login/flow.ts `resume`), the code goes to the second-factor step.
     */
    async complete(
      ts: TenantServices,
      kind: TicketRow['kind'],
      body: { mfa_ticket: string; code: string; captcha?: string | undefined },
      meta: RequestMeta,
    ): Promise<LoginResult> {
      const t = await tickets.openTicket(ts.tenant, body.mfa_ticket, kind);
      // Bound to the attempt: another device cannot answer it.
      if (t.device_id && meta.deviceId && meta.deviceId !== t.device_id) fail('MFA_TICKET_INVALID');
      return ts.auth.resume(
        {
          userId: t.user_id,
          input: {
            username: t.username,
            user_type: t.user_type ?? undefined,
            mfa_code: body.code,
            captcha: body.captcha,
          },
          method: t.method,
          from: 'account',
          continuation: { by: SECOND_FACTOR_STEP, ref: t.id_hash },
        },
        { ...meta, deviceId: t.device_id ?? meta.deviceId ?? null, deviceName: t.device_name },
      );
    },
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
