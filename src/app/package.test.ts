import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

interface Pkg {
  name: string;
  version: string;
  bin?: Record<string, string>;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  overrides?: Record<string, string>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Pkg;
const pkg = read(root);

/** Where Node finds `name` from the package at `from` (its node_modules, then its parents'). */
function resolve(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const cand = join(dir, 'node_modules', name);
    if (existsSync(join(cand, 'package.json'))) return cand;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** Every package of the production dependency tree, as installed (`npm ci`). */
function productionTree(): Map<string, Pkg> {
  const seen = new Map<string, Pkg>();
  const walk = (dir: string, deps: Record<string, string>, optional: Set<string>) => {
    for (const name of Object.keys(deps)) {
      const at = resolve(name, dir);
      if (!at) {
        if (optional.has(name)) continue; // an optional dependency of another platform
        throw new Error(`${name} (needed by ${dir}) is not installed`);
      }
      if (seen.has(at)) continue;
      const p = read(at);
      seen.set(at, p);
      const opt = new Set(Object.keys(p.optionalDependencies ?? {}));
      walk(at, { ...p.dependencies, ...p.optionalDependencies }, opt);
    }
  };
  walk(root, pkg.dependencies ?? {}, new Set());
  return seen;
}

describe('package.json', () => {
  it('is publishable as tessera-auth, with the tessera command', () => {
    expect(pkg.name).toBe('tessera-auth');
    expect(semver.valid(pkg.version)).toBeTruthy();
    expect(pkg.bin).toEqual({ tessera: 'bin/tessera.js' });
    expect(existsSync(join(root, 'bin/tessera.js'))).toBe(true);
  });

  it("every production dependency's engines range holds at the package's Node floor", () => {
    const floor = semver.minVersion(pkg.engines!.node!)!.version;
    expect(floor).toBe('20.19.0');
    const tree = productionTree();
    expect(tree.size).toBeGreaterThan(50);
    const refused = [...tree.values()]
      .filter((p) => p.engines?.node && !semver.satisfies(floor, p.engines.node))
      .map((p) => `${p.name}@${p.version} wants node ${p.engines!.node}`);
    expect(refused).toEqual([]);
  });

  it('the engines check can fail: cookie 2 (light-my-request 6.8) wants Node 22', () => {
    expect(semver.satisfies('20.19.0', '>=22')).toBe(false);
    // Pinned to the last light-my-request on cookie 1 (decision 0021) until fastify moves on.
    expect(pkg.overrides).toEqual({ 'light-my-request': '6.6.0' });
  });
});
