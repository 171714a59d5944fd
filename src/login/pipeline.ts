import type { AuditEntry } from '../audit/audit.js';
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
}

export interface LoginResult {
  tokens: TokenPair;
  user: UserRow;
  roles: string[];
  claims: AccessClaims;
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
  method: 'password' | 'rsa';
  /** The account the name designates, if any (looked up first; answers never depend on it). */
  user: UserRow | undefined;
  /** The verified password (a later step may rehash an imported hash with it). */
  password?: string;
  session?: { id: string; expires_at: number };
  refreshToken?: string;
  refreshExp?: number;
  result?: LoginResult;
  /**
   * Ends the login with INVALID_CREDENTIALS: tells every step's `onRefused`
   * (the brute-force counters) and writes the `login.failure` row with `reason`.
   */
  refuse(reason: string): Promise<never>;
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
}

/** Orders steps by stage, keeping the given order within a stage. */
export function orderSteps(steps: readonly LoginStep[]): LoginStep[] {
  return LOGIN_STAGES.flatMap((stage) => steps.filter((s) => s.stage === stage));
}

/** Runs the steps in order; the first that throws ends the login. */
export async function runSteps(steps: readonly LoginStep[], flow: LoginFlow): Promise<LoginResult> {
  for (const step of steps) await step.run(flow);
  if (!flow.result)
    throw new Error('login pipeline ended without a result: the tokens step is missing');
  return flow.result;
}
