/**
 * The build the fault suite runs: `node dist/main.js`, rebuilt when any of
 * its dist/ .js files is older than its source.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { MAIN, ROOT } from '../processes.js';

/** Built sources (what tsconfig.build.json compiles) whose dist/ .js is missing or older. */
function staleBuildOutputs(): string[] {
  const src = join(ROOT, 'src');
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (p !== join(src, 'test-support')) walk(p);
      } else if (
        e.name.endsWith('.ts') &&
        !e.name.endsWith('.test.ts') &&
        !e.name.endsWith('.test-support.ts') &&
        !e.name.endsWith('.d.ts')
      ) {
        const out = join(ROOT, 'dist', relative(src, p).replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs)
          stale.push(relative(ROOT, p));
      }
    }
  };
  walk(src);
  return stale;
}

/**
 * Like processes.ts' ensureBuilt(), but decides per file: a dist/ .js older
 * than its source is rebuilt. (ensureBuilt() trusts dist/.tsbuildinfo, which
 * `tsc -p tsconfig.json --noEmit`, the type check, also rewrites: after a
 * type check it would run a stale dist/.) Compiles with its own incremental
 * state under the temp dir, so that state is never the type check's either.
 */
export function ensureFreshBuild(): void {
  if (existsSync(MAIN) && staleBuildOutputs().length === 0) return;
  const state = join(
    tmpdir(),
    `tessera-faults-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 10)}.tsbuildinfo`,
  );
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.build.json',
      '--tsBuildInfoFile',
      state,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  // tsc emits on type errors elsewhere in the tree; only a missing entry point is fatal.
  if (!existsSync(MAIN)) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  const still = staleBuildOutputs();
  if (still.length)
    console.warn(
      `[tessera tests] after the build, dist/ is still older than: ${still.slice(0, 5).join(', ')}${still.length > 5 ? ' ...' : ''}`,
    );
}
