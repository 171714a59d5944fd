import { createHash, randomUUID } from 'node:crypto';
import { fail } from '../lib/errors.js';
import type { CaptchaProvider } from './provider.js';

export interface TurnstileOptions {
  secret: string;
  verifyUrl: string;
  /** @default 5000 */
  timeoutMs?: number;
}

/** Turnstile tokens verify for 300 s (Cloudflare's documented limit). */
const TOKEN_TTL_MS = 300_000;

interface SiteverifyAnswer {
  success?: boolean;
  'error-codes'?: string[];
  action?: string;
}

/**
 * Cloudflare Turnstile, verified server side (siteverify, with the secret and
 * the client IP). Purpose binding: the widget must be rendered with
 * `data-action="login"` or `"register"`, and siteverify's `action` must match.
 */
export function createTurnstileProvider(o: TurnstileOptions): CaptchaProvider {
  if (!o.secret)
    throw new Error('TESSERA_CAPTCHA_PROVIDER=turnstile needs TESSERA_TURNSTILE_SECRET');
  const timeoutMs = o.timeoutMs ?? 5000;
  return {
    name: 'turnstile',
    async challenge(purpose) {
      return { provider: 'turnstile', purpose, action: purpose };
    },
    async verify(solution, purpose, ip) {
      if (solution.length > 2048) return { ok: false, reason: 'malformed' };
      let answer: SiteverifyAnswer;
      try {
        const res = await fetch(o.verifyUrl, {
          method: 'POST',
          body: new URLSearchParams({
            secret: o.secret,
            response: solution,
            remoteip: ip,
            idempotency_key: randomUUID(),
          }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!res.ok) throw new Error(`siteverify answered ${res.status}`);
        answer = (await res.json()) as SiteverifyAnswer;
      } catch (e) {
        fail('UNAVAILABLE', { logMessage: `turnstile siteverify failed: ${(e as Error).message}` });
      }
      if (answer.success !== true)
        return {
          ok: false,
          reason: (answer['error-codes'] ?? []).join(',').slice(0, 100) || 'rejected',
        };
      if (answer.action !== purpose) return { ok: false, reason: 'wrong_purpose' };
      return {
        ok: true,
        id: `ts:${createHash('sha256').update(solution).digest('base64url')}`,
        ttlMs: TOKEN_TTL_MS,
      };
    },
  };
}
