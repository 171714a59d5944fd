import { Counter, type Registry } from 'prom-client';

/** Told how each login attempt ended: its method and `success` or the error code it ended with. */
export type LoginOutcome = (method: string, outcome: string) => void;

/**
 * `tessera_logins_total{method,outcome}`: every attempt through the login
 * pipeline (login/flow.ts), whichever route it came by. `method` is how the
 * credential came (password, rsa: the encrypted login, wechat, oauth, …) or,
 * for a login continued after a challenge, the step that issued it (totp:
 * the second factor's answer to MFA_REQUIRED);
 * `outcome` is `success` or the error code (INVALID_CREDENTIALS,
 * ACCOUNT_LOCKED, CAPTCHA_REQUIRED, MFA_REQUIRED, …): both sets are bounded by
 * the code, never by input. One counter per runtime, shared by every tenant's
 * pipeline; each (method, outcome) child is kept after its first use.
 */
export function createLoginMetrics(registry: Registry): LoginOutcome {
  const logins = new Counter({
    name: 'tessera_logins_total',
    help: 'Login attempts by method (password, rsa, wechat, oauth; totp for the answer to MFA_REQUIRED) and outcome (success or the error code)',
    labelNames: ['method', 'outcome'],
    registers: [registry],
  });
  const children = new Map<string, Counter.Internal>();
  return (method, outcome) => {
    const key = `${method} ${outcome}`;
    let c = children.get(key);
    if (!c) children.set(key, (c = logins.labels(method, outcome)));
    c.inc();
  };
}
