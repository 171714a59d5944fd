import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import * as es from '@zxcvbn-ts/language-es-es';
import * as fr from '@zxcvbn-ts/language-fr';

/**
 * How many leading characters zxcvbn looks at. Its repeat and l33t matchers
 * grow fast with length: on this project's 2-core machine a random 128-character
 * password took 650 ms at zxcvbn's default of 256 and about 15 ms (median) at 32.
 * A password whose first 32 characters are strong is strong; one whose first 32
 * are weak is weak whatever follows, so the cut loses nothing that matters.
 */
const ZXCVBN_MAX_CHARS = 32;
/** l33t substitutions tried per password (zxcvbn's default 100 is the other cost lever). */
const L33T_MAX_SUBSTITUTIONS = 3;

/** What zxcvbn thinks of a password: a score 0..4, and its (English) warning. */
export interface Strength {
  score: number;
  warning: string | null;
}

// The dictionaries are static data (a few MB once parsed): built on first use,
// once per process, like a compiled regular expression; nothing in it changes.
let factory: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: {
      ...common.dictionary,
      ...en.dictionary,
      ...fr.dictionary,
      ...es.dictionary,
    },
    maxLength: ZXCVBN_MAX_CHARS,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
  });
  return factory;
}

/**
 * zxcvbn's estimate (0 = too guessable … 4 = very unguessable), with the
 * user's own names as extra dictionary words. Callers check the length cap
 * first (src/passwords/policy.ts): the input here is at most 128 characters.
 */
export function strengthOf(password: string, userInputs: readonly string[] = []): Strength {
  const r = zxcvbn().check([...password].slice(0, ZXCVBN_MAX_CHARS).join(''), [...userInputs]);
  return { score: r.score, warning: r.feedback.warning };
}
