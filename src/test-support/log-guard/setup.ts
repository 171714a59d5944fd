import { afterAll, afterEach, beforeEach } from 'vitest';
import { setLogTap } from '../../infra/log.js';
import { captured as all, captureLines, describeLeaks, leaksIn, type Leak } from './secrets.js';

/**
 * A vitest setup file (vitest.config.ts `setupFiles`): every logger the app creates in this
 * test file (src/infra/log.ts createLogger: every createServer/createRuntime without its own
 * `log`) also writes every line, at every level, here. After each test its lines are checked
 * (a leak fails that test); after the file, all its lines again against every secret the tests
 * registered by then (a secret registered after it was logged, beforeAll/afterAll lines).
 * The spawned servers' output joins them (processLogSink in secrets.ts).
 */
let sinceTest = 0;

setLogTap({ write: captureLines });

/** The leaks in the lines logged since `from` (the mechanism's own test reads it). */
export function logLeaks(from = 0): Leak[] {
  return all.slice(from).flatMap(leaksIn);
}

/** The JSON lines captured since `from`, parsed (tests of what is logged read them). */
export function linesSince(from: number): Record<string, unknown>[] {
  return all.slice(from).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The number of lines captured so far in this test file. */
export function capturedLines(): number {
  return all.length;
}

/** Forgets the lines since `from`: the mechanism's own test, once it has seen its leak. */
export function forgetLines(from: number): void {
  all.length = Math.min(all.length, from);
  sinceTest = Math.min(sinceTest, from);
}

beforeEach(() => {
  sinceTest = all.length;
});

afterEach(() => {
  const leaks = logLeaks(sinceTest);
  if (leaks.length) throw new Error(describeLeaks(leaks));
});

afterAll(() => {
  const leaks = logLeaks(0);
  all.length = 0;
  if (leaks.length) throw new Error(describeLeaks(leaks));
});
