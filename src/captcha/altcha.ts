import { createHmac, randomInt } from 'node:crypto';
import { createChallenge, verifySolution, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { Clock } from '../lib/clock.js';
import type { CaptchaProvider } from './provider.js';

export interface AltchaOptions {
  hmacKey: string;
  clock: Clock;
  /** How long a challenge may be solved and used. @default 600_000 */
  ttlMs?: number;
  /**
   * Work: the server picks the secret counter uniformly in this range and the
   * client tries counters from 0 until a SHA-256 key matches, so the mean
   * cost is the range's midpoint in hashes (~25k: well under a second in a
   * browser worker, a real cost per attempt for a bot doing thousands).
   * @default [5_000, 50_000]
   */
  counterRange?: readonly [number, number];
}

/**
 * Self-hosted proof of work, ALTCHA protocol v2 (altcha-lib). Deterministic
 * mode: the challenge carries an HMAC of the expected key (keySignature), so
 * verifying is one HMAC, not a re-derivation.
 *
 * Expiry and purpose live in the signed `data` ({ purpose, exp }) and are
 * checked against the injectable clock; the library's own `expiresAt` is not
 * used because altcha-lib compares it with Date.now().
 */
export function createAltchaProvider(o: AltchaOptions): CaptchaProvider {
  const ttlMs = o.ttlMs ?? 600_000;
  const [lo, hi] = o.counterRange ?? [5_000, 50_000];
  const keySecret = createHmac('sha256', o.hmacKey).update('altcha key signature').digest('hex');

  return {
    name: 'altcha',
    async challenge(purpose) {
      const exp = o.clock.now() + ttlMs;
      const c = await createChallenge({
        algorithm: 'SHA-256',
        cost: 1,
        counter: randomInt(lo, hi + 1),
        deriveKey,
        data: { purpose, exp },
        hmacSignatureSecret: o.hmacKey,
        hmacKeySignatureSecret: keySecret,
      });
      return { provider: 'altcha', purpose, expires_at: exp, challenge: c };
    },
    async verify(solution, purpose) {
      const p = parsePayload(solution);
      if (!p) return { ok: false, reason: 'malformed' };
      const data = p.challenge.parameters.data ?? {};
      const now = o.clock.now();
      const r = await verifySolution({
        challenge: p.challenge,
        solution: p.solution,
        deriveKey,
        hmacSignatureSecret: o.hmacKey,
        hmacKeySignatureSecret: keySecret,
      }).catch(() => undefined);
      if (!r?.verified)
        return { ok: false, reason: r?.invalidSignature ? 'bad_signature' : 'invalid' };
      // Signed fields: safe to trust once the signature has verified.
      if (data.purpose !== purpose) return { ok: false, reason: 'wrong_purpose' };
      if (typeof data.exp !== 'number' || data.exp <= now) return { ok: false, reason: 'expired' };
      return { ok: true, id: `altcha:${p.challenge.signature}`, ttlMs: data.exp - now };
    },
  };
}

/** The widget posts base64(JSON({ challenge, solution })); plain JSON is accepted too. */
function parsePayload(raw: string): { challenge: Challenge; solution: Solution } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(
      raw.trimStart().startsWith('{') ? raw : Buffer.from(raw, 'base64').toString('utf8'),
    );
  } catch {
    return undefined;
  }
  const o = v as { challenge?: Challenge; solution?: Solution };
  const c = o?.challenge;
  if (
    !c ||
    typeof c !== 'object' ||
    typeof c.signature !== 'string' ||
    typeof c.parameters !== 'object' ||
    c.parameters === null
  )
    return undefined;
  if (!o.solution || typeof o.solution !== 'object') return undefined;
  return { challenge: { parameters: c.parameters, signature: c.signature }, solution: o.solution };
}
