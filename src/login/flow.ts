import type { Audit } from '../audit/audit.js';
import type { TenantId } from '../db/scope.js';
import type { RequestMeta } from '../contract/meta.js';
import { fail } from '../lib/errors.js';
import { checkEmail, checkUsername } from '../users/identity.js';
import type { UserService } from '../users/service.js';
import {
  orderSteps,
  runSteps,
  type LoginFlow,
  type LoginInput,
  type LoginResult,
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
  return {
    steps: steps.map((s) => `${s.stage}:${s.name}`),
    async login(input: LoginInput, meta: RequestMeta): Promise<LoginResult> {
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
        method: 'password',
        user: await d.users.byLoginName(input.username),
        async refuse(reason) {
          for (const s of steps) await s.onRefused?.(flow);
          d.audit.record({
            ...facts,
            event: 'login.failure',
            outcome: 'failure',
            userId: flow.user?.id ?? null,
            reason,
          });
          fail('INVALID_CREDENTIALS');
        },
      };
      return runSteps(steps, flow);
    },
  };
}

export type LoginFlowService = ReturnType<typeof createLoginFlow>;
