/** The CLI's output, captured: what main() printed to stdout (`out`) and stderr (`err`). */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { log: (s: string) => void out.push(s), err: (s: string) => void err.push(s) },
    out,
    err,
  };
}
