// Cost of the password rules (src/passwords/policy.ts: length, common list, zxcvbn) per call,
// on ordinary passwords and on 128-character inputs that are slow for zxcvbn's repeat and
// l33t matchers. Run after `npm run build`: node scripts/measure-password-rules.mjs
import { performance } from 'node:perf_hooks';
import { strengthOf } from '../dist/passwords/strength.js';

const ordinary = [
  'correct horse battery',
  'Tr0ub4dor&3',
  'monkey12345',
  'zorbquistfelm1',
  'p@ssw0rd!',
];
const slow = ['aZ9!', 'abc1', '1a', 'Ab1!Cd2@Ef3#', '@4$5301!|7+2('].map((u) =>
  u.repeat(64).slice(0, 128),
);

const t0 = performance.now();
strengthOf('warm-up-the-dictionaries');
console.log(`first call (dictionaries built): ${(performance.now() - t0).toFixed(0)} ms`);

function measure(label, inputs, rounds) {
  const ms = [];
  for (let r = 0; r < rounds; r++)
    for (const p of inputs) {
      const t = performance.now();
      strengthOf(p);
      ms.push(performance.now() - t);
    }
  ms.sort((a, b) => a - b);
  const q = (f) => ms[Math.min(ms.length - 1, Math.floor(ms.length * f))].toFixed(1);
  console.log(`${label}: n=${ms.length} median ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
}
measure('ordinary passwords', ordinary, 40);
measure('slow 128-character patterns', slow, 20);
