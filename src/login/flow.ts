import type { Audit } from '../audit/audit.js';
import type { TenantId } from '../db/scope.js';
import type { RequestMeta } from '../contract/meta.js';
import { fail } from '../lib/errors.js';
import { checkEmail, checkUsername } from '../users/identity.js';
import type { UserService } from '../users/service.js';
import type { UserRow } from '../users/store.js';
import {
  orderSteps,
  runSteps,
  type LoginContinuation,
  type LoginFlow,
  type LoginInput,
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
  audit: Audit;
  tenant?: TenantId;
}) {
  const steps = orderSteps(d.steps);

  function flowOf(
    input: LoginInput,
    meta: RequestMeta,
    user: UserRow | undefined,
    extra: Pick<LoginFlow, 'continuation'> & { method?: LoginFlow['method'] } = {},
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
      return runSteps(steps, flowOf(input, meta, await d.users.byLoginName(input.username)));
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
      if (!user) fail('INVALID_CREDENTIALS');
      const flow = flowOf(r.input, meta, user, { method: r.method, continuation: r.continuation });
      return runSteps(steps, flow, r.from);
    },
  };
}

/** What `resume` needs to continue a login (kept by the step that interrupted it, e.g. in a ticket). */
export interface LoginResumption {
  userId: number;
  input: LoginInput;
  method: LoginFlow['method'];
  /** The first stage to run again (after the guard): `account`, so the account's state is checked anew. */
  from: LoginStage;
  continuation: LoginContinuation;
}

export type LoginFlowService = ReturnType<typeof createLoginFlow>;
