// Copies a full run's report into docs/performance.md, between two markers, so the doc always
// shows the latest complete figures. Quick or partial runs leave the doc alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './contenders.mjs';

const START = '<!-- latest-run:start (written by bench/lib/docs.mjs) -->';
const END = '<!-- latest-run:end -->';

export function updateDocs(markdown) {
  const file = join(ROOT, 'docs', 'performance.md');
  if (!existsSync(file)) return false;
  const doc = readFileSync(file, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) return false;
  // Demote the report's headings by two levels to nest under the doc's "## Latest run".
  const body = markdown.replace(/^(#+) /gm, '##$1 ');
  writeFileSync(file, `${doc.slice(0, a + START.length)}\n\n${body}\n${doc.slice(b)}`);
  return true;
}
