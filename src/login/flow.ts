import type { RequestMeta } from '../audit/audit.js';
import { checkEmail, checkUsername } from '../users/identity.js';
import {
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
 * outcome in its own shape. The composition root chooses the steps:
 * guard → credential → account state → session policy → tokens.
 */
export function createLoginFlow(steps: readonly LoginStep[]) {
  return {
    steps: steps.map((s) => s.name),
    login(input: LoginInput, meta: RequestMeta): Promise<LoginResult> {
      const flow: LoginFlow = {
        input,
        meta,
        attempt: {
          accountKey: accountKey(input.username),
          ip: meta.ip,
          captcha: input.captcha,
          userAgent: meta.userAgent,
          deviceId: meta.deviceId ?? null,
        },
        facts: {
          username: input.username.slice(0, 64),
          ip: meta.ip,
          userAgent: meta.userAgent,
          deviceId: meta.deviceId ?? null,
        },
        method: 'password',
        user: undefined,
      };
      return runSteps(steps, flow);
    },
  };
}

export type LoginFlowService = ReturnType<typeof createLoginFlow>;
