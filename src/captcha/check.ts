import type { Audit } from '../audit/audit.js';
import type { CaptchaCheck } from '../login/guard.js';
import { fail } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { CounterStore } from '../counters/store.js';
import { PURPOSES, type CaptchaPurpose, type CaptchaProvider } from './provider.js';

/**
 * The login/register side of human verification: a solution must verify,
 * be meant for this purpose, and be the first use of it (memory or Redis
 * claim, so a solution replayed on another node is refused as well).
 * Failed solutions are audited as `captcha.failure`.
 */
export function createCaptchaCheck(d: {
  provider: CaptchaProvider;
  store: CounterStore;
  clock: Clock;
  audit: Audit;
}): CaptchaCheck {
  return {
    async require(solution, purpose, from) {
      const ip = from.ip;
      if (!(PURPOSES as readonly string[]).includes(purpose))
        throw new Error(`unknown captcha purpose ${purpose}`);
      if (!solution) fail('CAPTCHA_REQUIRED');
      const v = await d.provider.verify(solution, purpose as CaptchaPurpose, ip);
      let reason = v.ok ? '' : v.reason;
      if (v.ok && !(await d.store.claim(`cu:${v.id}`, v.ttlMs, d.clock.now()))) reason = 'replayed';
      if (!reason) return;
      d.audit.record({
        event: 'captcha.failure',
        outcome: 'failure',
        ip,
        userAgent: from.userAgent ?? null,
        deviceId: from.deviceId ?? null,
        reason,
        data: { purpose, provider: d.provider.name },
      });
      fail('CAPTCHA_FAILED');
    },
  };
}
