/** Flows a captcha solution can be spent on; a solution for one is refused by the other. */
export const PURPOSES = ['login', 'register'] as const;
export type CaptchaPurpose = (typeof PURPOSES)[number];

export type Verdict = { ok: true; id: string; ttlMs: number } | { ok: false; reason: string };

/** One human-verification backend (self-hosted proof of work, Cloudflare Turnstile). */
export interface CaptchaProvider {
  readonly name: 'altcha' | 'turnstile';
  /** What a client needs to present the check for `purpose`. */
  challenge(purpose: CaptchaPurpose): Promise<Record<string, unknown>>;
  /**
   * Checks one solution. `id` names it in the replay store for `ttlMs` (as
   * long as it could still verify). Throws UNAVAILABLE when the backend
   * cannot be reached.
   */
  verify(solution: string, purpose: CaptchaPurpose, ip: string): Promise<Verdict>;
}
