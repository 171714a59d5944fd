import { Counter, type Registry } from 'prom-client';
import type { Audit } from '../audit/audit.js';

/** The codes a login is refused with before its password is looked at (the guard stage). */
const GUARD_REFUSALS = new Set([
  'RATE_LIMITED',
  'ACCOUNT_LOCKED',
  'CAPTCHA_REQUIRED',
  'CAPTCHA_FAILED',
]);

/**
 * The ladder's series, counted from the audit stream (every refusal, lock
 * and captcha failure already writes its row): refusals by the guard by
 * code, locks taken, captcha failures by purpose and reason. Returns what
 * stops the observation.
 */
export function registerBruteForceMetrics(registry: Registry, audit: Audit): () => void {
  const refusals = new Counter({
    name: 'tessera_login_refusals_total',
    help: 'Logins refused by the brute-force guard before any password check, by code: RATE_LIMITED (per-IP budget), ACCOUNT_LOCKED, CAPTCHA_REQUIRED, CAPTCHA_FAILED',
    labelNames: ['code'],
    registers: [registry],
  });
  const locks = new Counter({
    name: 'tessera_account_locks_total',
    help: 'Accounts (or account and IP pairs) locked after too many failures',
    registers: [registry],
  });
  const captcha = new Counter({
    name: 'tessera_captcha_failures_total',
    help: 'Captcha solutions refused, by purpose (login, register, …) and reason (invalid, replayed, …)',
    labelNames: ['purpose', 'reason'],
    registers: [registry],
  });
  for (const code of GUARD_REFUSALS) refusals.inc({ code }, 0);
  locks.inc(0);
  return (
    audit.observe?.((e) => {
      if (e.event === 'login.failure') {
        if (e.reason && GUARD_REFUSALS.has(e.reason)) refusals.inc({ code: e.reason });
      } else if (e.event === 'account.lock') locks.inc();
      else if (e.event === 'captcha.failure') {
        const purpose = typeof e.data?.purpose === 'string' ? e.data.purpose : 'unknown';
        captcha.inc({ purpose, reason: e.reason ?? 'unknown' });
      }
    }) ?? (() => {})
  );
}
