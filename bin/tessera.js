#!/usr/bin/env node
// The `tessera` command. Runs the compiled CLI (npm install builds dist/ through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('tessera: dist/ is missing; run `npm run build` in the Tessera folder first');
  process.exit(1);
}
const { main } = await import(cli);
process.exitCode = await main(process.argv.slice(2));
