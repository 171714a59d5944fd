import type { AuditEntry, RequestMeta } from '../audit/audit.js';
import type { LoginAttempt } from '../auth/guard.js';
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
}

/** One step of the login pipeline: src/login/steps/, one file each. */
export interface LoginStep {
  readonly name: string;
  run(flow: LoginFlow): Promise<void>;
}

/** Runs the steps in order; the first that throws ends the login. */
export async function runSteps(steps: readonly LoginStep[], flow: LoginFlow): Promise<LoginResult> {
  for (const step of steps) await step.run(flow);
  if (!flow.result)
    throw new Error('login pipeline ended without a result: the tokens step is missing');
  return flow.result;
}
