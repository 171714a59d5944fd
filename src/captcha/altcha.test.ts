import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createAltchaProvider } from './altcha.js';

const encode = (challenge: Challenge, solution: object) =>
  Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');

describe('ALTCHA proof of work', () => {
  const clock = new ManualClock();
  const p = createAltchaProvider({ hmacKey: 'k'.repeat(32), clock, counterRange: [100, 200] });

  it('verifies a solved challenge for its purpose until it expires', async () => {
    const { challenge } = (await p.challenge('login')) as { challenge: Challenge };
    const sol = (await solveChallenge({ challenge, deriveKey }))!;
    expect(await p.verify(encode(challenge, sol), 'login', '')).toMatchObject({
      ok: true,
      id: `altcha:${challenge.signature}`,
    });
    expect(await p.verify(JSON.stringify({ challenge, solution: sol }), 'login', '')).toMatchObject(
      { ok: true },
    );
    expect(await p.verify(encode(challenge, sol), 'register', '')).toEqual({
      ok: false,
      reason: 'wrong_purpose',
    });
    clock.advance(600_000);
    expect(await p.verify(encode(challenge, sol), 'login', '')).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses wrong work, tampered parameters and other keys', async () => {
    const { challenge } = (await p.challenge('login')) as { challenge: Challenge };
    const sol = (await solveChallenge({ challenge, deriveKey }))!;
    expect(
      (
        await p.verify(
          encode(challenge, { ...sol, counter: sol.counter + 1, derivedKey: '00'.repeat(32) }),
          'login',
          '',
        )
      ).ok,
    ).toBe(false);
    const tampered = {
      ...challenge,
      parameters: {
        ...challenge.parameters,
        data: { purpose: 'login', exp: Number.MAX_SAFE_INTEGER },
      },
    };
    expect(await p.verify(encode(tampered, sol), 'login', '')).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const other = createAltchaProvider({ hmacKey: 'x'.repeat(32), clock });
    expect((await other.verify(encode(challenge, sol), 'login', '')).ok).toBe(false);
    for (const junk of ['', 'e30=', '{"challenge":1}', '%%%'])
      expect((await p.verify(junk, 'login', '')).ok).toBe(false);
  });
});
