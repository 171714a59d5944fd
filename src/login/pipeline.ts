import type { AuditEntry } from '../audit/audit.js';
import type { ErrorCode } from '../contract/errors.js';
import type { ExternalProfile } from '../identities/types.js';
import type { RequestMeta } from '../contract/meta.js';
import type { LoginAttempt } from './guard.js';
import type { AccessClaims } from '../tokens/claims.js';
import type { TokenPair } from '../tokens/pair.js';
import type { UserRow } from '../users/store.js';

/** What a client sends to log in, whichever route it came through. */
export interface LoginInput {
  username: string;
  password?: string | undefined;
  encryptedPassword?: string | undefined;
  keyId?: string | undefined;
  captcha?: string | undefined;
  user_type?: string | undefined;
  /** A second-factor code (TOTP or recovery code): the login and its second factor in one call. */
  mfa_code?: string | undefined;
}

export interface LoginResult {
  tokens: TokenPair;
  user: UserRow;
  roles: string[];
  claims: AccessClaims;
  /** What steps add to the answer beyond the tokens (e.g. the recovery codes of an enrolment completed by this login). */
  answer?: Record<string, unknown>;
}

/**
 * A login continued by a later request (the answer to a challenge such as
 * MFA_REQUIRED): the step that issued the challenge recognises its own
 * reference and reads the rest from its store. Opaque to the pipeline.
 */
export interface LoginContinuation {
  /** The name of the step that issued the challenge. */
  readonly by: string;
  /** That step's reference (a ticket's hash), already checked to exist by whoever resumed. */
  readonly ref: string;
}

/**
 * How the credential was presented (audit `data.method`): a password in
 * clear or RSA-encrypted, or an external identity (`wechat`, `oauth`, …).
 */
export type LoginMethod = 'password' | 'rsa' | 'wechat' | 'oauth' | (string & Record<never, never>);

/** A login by an external identity that its provider already proved (src/identities/). */
export interface IdentityProof {
  readonly profile: ExternalProfile;
  /** Create a user for an identity no user has (else the login is refused). */
  readonly create: boolean;
}

/**
 * One login as it moves through the steps. Each step reads what the earlier
 * ones established and adds its own part; a step ends the flow by throwing a
 * TesseraError (an error such as INVALID_CREDENTIALS, or a challenge such as
 * CAPTCHA_REQUIRED), which the route renders in its own shape.
 */
export interface LoginFlow {
  readonly input: LoginInput;
  readonly meta: RequestMeta;
  /** For the brute-force counters: the account name as typed, folded. */
  readonly attempt: LoginAttempt;
  /** Facts every audit row of this attempt carries. */
  readonly facts: Pick<AuditEntry, 'username' | 'ip' | 'userAgent' | 'deviceId'>;
  /** How the credential was presented (audit `data.method`). */
  method: LoginMethod;
  /** Set for a login by an external identity: the identity step is its credential, not a password. */
  readonly identity?: IdentityProof | undefined;
  /** The second factor that completed the login, if any (audit `data.second_factor`). */
  secondFactor?: string;
  /** Set when the flow continues an earlier login (see LoginContinuation). */
  readonly continuation?: LoginContinuation | undefined;
  /** The account the name designates, if any (looked up first; answers never depend on it). */
  user: UserRow | undefined;
  /** The verified password (a later step may rehash an imported hash with it). */
  password?: string;
  session?: { id: string; expires_at: number };
  refreshToken?: string;
  refreshExp?: number;
  result?: LoginResult;
  /** Added to the result's `answer` (see LoginResult). */
  answer?: Record<string, unknown>;
  /**
   * Ends the login with INVALID_CREDENTIALS (or `code`, e.g. a wrong second
   * factor's MFA_INVALID): tells every step's `onRefused` (the brute-force
   * counters) and writes the `login.failure` row with `reason`.
   */
  refuse(reason: string, code?: ErrorCode): Promise<never>;
}

/**
 * Where a step runs. Steps run stage by stage in this order; within a stage,
 * the core's steps first, then the features' in feature order.
 */
const LOGIN_STAGES = [
  'guard',
  'credential',
  'account',
  'second-factor',
  'session',
  'tokens',
  'audit',
] as const;
export type LoginStage = (typeof LOGIN_STAGES)[number];

/** One step of the login pipeline: src/login/steps/ (the core's) or a feature's folder. */
export interface LoginStep {
  readonly name: string;
  readonly stage: LoginStage;
  run(flow: LoginFlow): Promise<void>;
  /**
   * A credential step refused the attempt (unknown user, wrong password,
   * undecryptable ciphertext): the brute-force guard counts it here.
   */
  onRefused?(flow: LoginFlow): Promise<void>;
  /**
   * Every proof of identity was accepted (credential, account and second
   * factor stages passed): called once, before the session stage (the
   * brute-force guard clears its counters here, not after the password alone).
   */
  onAccepted?(flow: LoginFlow): Promise<void>;
}

/** Orders steps by stage, keeping the given order within a stage. */
export function orderSteps(steps: readonly LoginStep[]): LoginStep[] {
  return LOGIN_STAGES.flatMap((stage) => steps.filter((s) => s.stage === stage));
}

const stageIndex = (s: LoginStage) => LOGIN_STAGES.indexOf(s);

/**
 * Runs the steps in order; the first that throws ends the login. `from`
 * continues an earlier login: the guard stage runs (a continuation is an
 * attempt like any other: budgets, locks, captcha), then the stages from
 * `from` on. The steps' `onAccepted` run once, before the session stage.
 */
export async function runSteps(
  steps: readonly LoginStep[],
  flow: LoginFlow,
  from: LoginStage = 'guard',
): Promise<LoginResult> {
  const start = stageIndex(from);
  const session = stageIndex('session');
  let accepted = false;
  for (const step of steps) {
    const at = stageIndex(step.stage);
    if (at < start && step.stage !== 'guard') continue;
    if (!accepted && at >= session) {
      accepted = true;
      for (const s of steps) await s.onAccepted?.(flow);
    }
    await step.run(flow);
  }
  if (!flow.result)
    throw new Error('login pipeline ended without a result: the tokens step is missing');
  if (flow.answer) flow.result.answer = { ...flow.result.answer, ...flow.answer };
  return flow.result;
}
