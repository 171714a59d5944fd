/**
 * Failpoints for fault tests: `TESSERA_FAILPOINTS=name[,name]` makes the
 * process kill itself with SIGKILL when it reaches `failpoint(name)`, e.g.
 * inside a transaction before its commit. Read once at start; refused in
 * production (NODE_ENV=production), where a failpoint is a no-op.
 */
const armed: ReadonlySet<string> =
  process.env.NODE_ENV === 'production'
    ? new Set()
    : new Set(
        (process.env.TESSERA_FAILPOINTS ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );

export function failpoint(name: string): void {
  if (armed.size !== 0 && armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
