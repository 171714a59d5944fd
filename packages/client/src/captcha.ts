import { solveChallenge, type Challenge } from 'altcha-lib';
// The WebCrypto key derivation: browser-safe (altcha-lib/algorithms/sha uses node:crypto).
import { deriveKey } from 'altcha-lib/algorithms/web/sha';

export type CaptchaPurpose = 'login' | 'register';

/** The `data` of `GET <ctx>/public/captcha/challenge?purpose=`. */
export interface CaptchaChallenge {
  provider: 'altcha' | 'turnstile';
  purpose: CaptchaPurpose;
  /** altcha: epoch ms after which a solution is refused. */
  expires_at?: number;
  /** altcha: the ALTCHA v2 challenge (a widget's `challengejson`). */
  challenge?: Record<string, unknown>;
  /** turnstile: render the widget with this `data-action`. */
  action?: string;
}

/**
 * Answers a captcha the server asked for (CAPTCHA_REQUIRED): resolves with
 * the solution to post as `captcha` (an ALTCHA widget's payload, a Turnstile
 * token), e.g. by showing a widget.
 */
export type CaptchaSolver = (c: CaptchaChallenge) => Promise<string>;

/**
 * Solves an ALTCHA proof-of-work challenge here, with WebCrypto SHA-256 (the
 * work an ALTCHA widget does; ~25k hashes on the server's default range).
 * Resolves with the payload the server verifies: JSON `{ challenge, solution }`.
 */
export async function solveAltcha(c: CaptchaChallenge, timeoutMs = 60_000): Promise<string> {
  if (c.provider !== 'altcha' || !c.challenge) throw new Error('not an ALTCHA challenge');
  const challenge = c.challenge as unknown as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey, timeout: timeoutMs });
  if (!solution) throw new Error('ALTCHA challenge not solved in time');
  return JSON.stringify({ challenge, solution });
}
