/** Minimal argv parsing: positionals and `--name value` / `--flag` options (repeatable ones collect). */
export interface Parsed {
  positionals: string[];
  options: Map<string, string[]>;
}

export function parseArgs(
  argv: readonly string[],
  flags: readonly string[] = ['help', 'h', 'json'],
): Parsed {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--') || (a.startsWith('-') && a.length === 2)) {
      const eq = a.indexOf('=');
      const name = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
      let value: string;
      if (eq > 0) value = a.slice(eq + 1);
      else if (flags.includes(name)) value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new Error(`--${name} needs a value`);
        value = next;
        i++;
      }
      options.set(name, [...(options.get(name) ?? []), value]);
    } else positionals.push(a);
  }
  return { positionals, options };
}

export const opt = (p: Parsed, name: string): string | undefined => p.options.get(name)?.at(-1);
