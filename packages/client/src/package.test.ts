import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkgDir, '../..');

/** The package as published: built by its own tsconfig, its export map, plain Node ESM, no server code. */
describe('@tessera-auth/client build', () => {
  it('builds, every export resolves in Node, and dist imports nothing of Node or the server', async () => {
    await run(join(root, 'node_modules/.bin/tsc'), ['-p', join(pkgDir, 'tsconfig.json')]);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
    };
    for (const [sub, e] of Object.entries(pkg.exports)) {
      expect(existsSync(join(pkgDir, e.types)), `${sub} types`).toBe(true);
      expect(existsSync(join(pkgDir, e.default)), `${sub} code`).toBe(true);
    }
    const js = readdirSync(join(pkgDir, 'dist')).filter((f) => f.endsWith('.js'));
    for (const f of js) {
      const src = readFileSync(join(pkgDir, 'dist', f), 'utf8');
      const specifiers = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const s of specifiers)
        expect(s, `${f} imports ${s}`).toMatch(/^(\.\/[a-z-]+\.js|altcha-lib(\/.*)?|react)$/);
    }
    // Outside Vite: Node's own resolution of the output (altcha-lib's export map included).
    const url = pathToFileURL(join(pkgDir, 'dist/index.js')).href;
    const { stdout } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(url)}); console.log(typeof m.createClient, m.ERROR_CODES.length > 40);`,
    ]);
    expect(stdout.trim()).toBe('function true');
  }, 120_000);
});
