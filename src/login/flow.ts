import type { Audit } from '../audit/audit.js';
import type { TenantId } from '../db/scope.js';
import type { RequestMeta } from '../contract/meta.js';
import type { IdentityService } from '../identities/service.js';
import type { ExternalProfile } from '../identities/types.js';
import { fail, isTesseraError } from '../lib/errors.js';
import type { LoginOutcome } from './metrics.js';
import { checkEmail, checkUsername } from '../users/identity.js';
import type { UserService } from '../users/service.js';
import type { UserRow } from '../users/store.js';
import {
  orderSteps,
  runSteps,
  type LoginContinuation,
  type LoginFlow,
  type IdentityProof,
  type LoginInput,
  type LoginMethod,
  type LoginResult,
  type LoginStage,
  type LoginStep,
} from './pipeline.js';

/** Canonical account key for counters: what the user typed, folded like usernames. */
function accountKey(name: string): string {
  const u = checkUsername(name);
  if (u.ok) return u.key;
  const e = checkEmail(name);
  return e.ok ? e.key : name.normalize('NFKC').toLowerCase().slice(0, 256);
}

/**
 * The one way in: every login route (seed 001's plain and encrypted login,
 * seed 000's /auth/login) runs the same ordered steps and renders the
 * outcome in its own shape. The composition root gathers the steps, the
 * core's and the features', and this orders them by stage:
 * guard → credential → account → second factor → session → tokens → audit.
 * The account the name designates is looked up first, so that a refused
 * attempt is audited against it; no answer depends on whether it exists.
 */
export function createLoginFlow(d: {
  steps: readonly LoginStep[];
  users: UserService;
  /** The tenant's external identities (logins by WeChat or an OAuth provider). */
  identities: IdentityService;
  audit: Audit;
  tenant?: TenantId;
  /** Told how each attempt ended (the logins counter, login/metrics.ts). */
  outcome?: LoginOutcome;
}) {
  const steps = orderSteps(d.steps);

  /**
   * Runs the steps and tells `d.outcome` how the attempt ended: `success` or its error code,
   * under the flow's method as the steps left it (the password step says `rsa` once it has
   * decrypted one), or under `as` (a resumed login: the step that asked).
   */
  async function run(flow: LoginFlow, as?: string, from?: LoginStage): Promise<LoginResult> {
    try {
      const r = await runSteps(steps, flow, from);
      d.outcome?.(as ?? flow.method, 'success');
      return r;
    } catch (e) {
      d.outcome?.(as ?? flow.method, isTesseraError(e) ? e.code : 'error');
      throw e;
    }
  }

  function flowOf(
    input: LoginInput,
    meta: RequestMeta,
    user: UserRow | undefined,
    extra: Pick<LoginFlow, 'continuation'> & {
      method?: LoginMethod;
      identity?: IdentityProof;
    } = {},
  ): LoginFlow {
    const facts = {
      username: input.username.slice(0, 64),
      ip: meta.ip,
      userAgent: meta.userAgent,
      deviceId: meta.deviceId ?? null,
    };
    const flow: LoginFlow = {
      input,
      meta,
      attempt: {
        tenant: d.tenant,
        accountKey: accountKey(input.username),
        ip: meta.ip,
        captcha: input.captcha,
        userAgent: meta.userAgent,
        deviceId: meta.deviceId ?? null,
      },
      facts,
      method: extra.method ?? 'password',
      identity: extra.identity,
      continuation: extra.continuation,
      user,
      async refuse(reason, code = 'INVALID_CREDENTIALS') {
        for (const s of steps) await s.onRefused?.(flow);
        d.audit.record({
          ...facts,
          event: 'login.failure',
          outcome: 'failure',
          userId: flow.user?.id ?? null,
          reason,
        });
        fail(code);
      },
    };
    return flow;
  }

  return {
    steps: steps.map((s) => `${s.stage}:${s.name}`),
    async login(input: LoginInput, meta: RequestMeta): Promise<LoginResult> {
      return run(flowOf(input, meta, await d.users.byLoginName(input.username)));
    },
    /**
     * A login by an external identity its provider proved (the caller
     * exchanged the code): the same pipeline as a password's, whose
     * credential step is the identity step (login/steps/identity.ts). The
     * account is looked up first by the identity, then by its WeChat
     * unionid, so that the guard counts and locks the account as it would
     * for its password; an identity no user has is counted under
     * `<provider>:<subject>`.
     */
    async loginWithIdentity(
      p: ExternalProfile,
      meta: RequestMeta,
      opts: IdentityLoginOptions,
    ): Promise<LoginResult> {
      const row =
        (await d.identities.find(p.provider, p.subject)) ??
        (p.unionId ? await d.identities.findByUnion(p.unionId) : undefined);
      const user = row && (await d.users.byId(row.user_id));
      const input: LoginInput = {
        username: user?.username ?? `${p.provider}:${p.subject}`,
        user_type: opts.user_type,
        captcha: opts.captcha,
        mfa_code: opts.mfa_code,
      };
      const flow = flowOf(input, meta, user, {
        method: opts.method,
        identity: { profile: p, create: opts.create },
      });
      return run(flow);
    },
    /**
     * Continues a login that a step interrupted with a challenge (the second
     * factor's ticket): the account is the one the first call established,
     * and the steps run from `r.from` on (after the guard stage, which every
     * attempt passes). `input` is what the first call was given, with the
     * answer to the challenge (e.g. `mfa_code`).
     */
    async resume(r: LoginResumption, meta: RequestMeta): Promise<LoginResult> {
      const user = await d.users.byId(r.userId);
      if (!user) {
        d.outcome?.(r.continuation.by, 'INVALID_CREDENTIALS');
        fail('INVALID_CREDENTIALS');
      }
      const flow = flowOf(r.input, meta, user, { method: r.method, continuation: r.continuation });
      // Counted under the step that asked (totp): the first call was counted as MFA_REQUIRED.
      return run(flow, r.continuation.by, r.from);
    },
  };
}

/** How a login by an external identity goes (auth.loginWithIdentity). */
export interface IdentityLoginOptions {
  /** Audit `data.method`: `wechat`, `oauth`, … */
  method: LoginMethod;
  /** Create a user for an identity no user has yet. */
  create: boolean;
  /** The user type the client logs in as (a new user gets it; an existing one must have it). */
  user_type?: string | undefined;
  /** The answer to a CAPTCHA_REQUIRED challenge, as in a password login. */
  captcha?: string | undefined;
  /** A second-factor code: the login and its second factor in one call. */
  mfa_code?: string | undefined;
}

/** What `resume` needs to continue a login (kept by the step that interrupted it, e.g. in a ticket). */
export interface LoginResumption {
  userId: number;
  input: LoginInput;
  method: LoginMethod;
  /** The first stage to run again (after the guard): `account`, so the account's state is checked anew. */
  from: LoginStage;
  continuation: LoginContinuation;
}

export type LoginFlowService = ReturnType<typeof createLoginFlow>;
