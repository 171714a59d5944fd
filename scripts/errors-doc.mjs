// Regenerates the error codes of docs/troubleshooting.md from the error tables of the core and the
// features (via dist/), keeping the hand-written parts around them.
// Run: npm run build && node scripts/errors-doc.mjs [--check]
// --check writes nothing and exits 1 when the page is out of date (src/contract/error-doc.test.ts
// checks the same from the sources).
import { readFileSync, writeFileSync } from 'node:fs';
import { FEATURES } from '../dist/app/features.js';
import { declarationsOf } from '../dist/app/lifecycle.js';
import { errorTable } from '../dist/contract/errors.js';
import { errorCodesSection, withErrorCodes } from '../dist/contract/error-doc.js';

declarationsOf(FEATURES); // registers every feature's codes
const file = new URL('../docs/troubleshooting.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withErrorCodes(before, errorCodesSection(errorTable()));
const n = errorTable().size;
if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error(
      'docs/troubleshooting.md is out of date: run npm run build && node scripts/errors-doc.mjs',
    );
    process.exit(1);
  }
  console.log(`docs/troubleshooting.md: ${n} error codes, up to date`);
} else {
  writeFileSync(file, after);
  console.log(`docs/troubleshooting.md: ${n} error codes`);
}
