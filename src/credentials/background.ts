/**
 * Work done after the answer has left (the per-account part of a reset
 * request, verification mails): bounded, so a flood of requests costs at
 * most `max` pending tasks of memory; the rest are dropped and reported.
 */
export function createBackground(max: number, report: (e: unknown, what: string) => void) {
  let pending = 0;
  let waiters: (() => void)[] = [];
  const settle = () => {
    pending--;
    if (pending === 0) {
      const w = waiters;
      waiters = [];
      for (const fn of w) fn();
    }
  };
  return {
    /** Runs `fn` on a later turn of the event loop; false when the queue is full. */
    run(what: string, fn: () => Promise<unknown>): boolean {
      if (pending >= max) {
        report(new Error('background queue full: task dropped'), what);
        return false;
      }
      pending++;
      setImmediate(() => {
        fn()
          .catch((e: unknown) => report(e, what))
          .finally(settle);
      });
      return true;
    },
    /** Resolves once nothing is pending (tests, shutdown). */
    idle(): Promise<void> {
      return pending === 0 ? Promise.resolve() : new Promise((r) => waiters.push(r));
    },
  };
}

export type Background = ReturnType<typeof createBackground>;
