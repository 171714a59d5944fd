#!/usr/bin/env node
// Entry point of `npm run bench` (root script: node bench/run.mjs). Uses only Node built-ins until
// the bench's own dependencies are installed and the server is built, then hands over to lib/main.mjs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function step(what, args, cwd) {
  process.stdout.write(`bench: ${what}\n`);
  execFileSync(npm, args, { cwd, stdio: 'inherit' });
}

if (!existsSync(join(BENCH, 'node_modules', 'autocannon'))) {
  const ci = existsSync(join(BENCH, 'package-lock.json'));
  step(`installing bench dependencies (npm ${ci ? 'ci' : 'install'} --prefix bench)`, [ci ? 'ci' : 'install', '--prefix', BENCH, '--no-audit', '--no-fund'], ROOT);
}
if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
  try {
    step('building the server (npm run build)', ['run', 'build'], ROOT);
  } catch {
    process.stdout.write('bench: build failed; Tessera contenders will be reported as skipped\n');
  }
}

const { main } = await import('./lib/main.mjs');
await main(process.argv.slice(2));
