import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allFields, FEATURES } from '../app/features.js';
import { declarationsOf } from '../app/lifecycle.js';
import { errorCodesSection, withErrorCodes } from './error-doc.js';
import { errorTable } from './errors.js';

declarationsOf(FEATURES);
const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

/** Names a page may use that are not settings of the table. */
const NOT_SETTINGS = new Set([
  'TESSERA_CONFIG_FILE', // names the settings file itself (src/config/load.ts)
  'TESSERA_PROT', // configuration.md's example of a misspelt name
  'TESSERA_NEW_PASSWORD', // read by `tessera tenant add --admin` (src/cli/), not a server setting
  'TESSERA_TEST_DATABASE_URL', // the test suite's (src/test-support/)
  'TESSERA_TEST_REDIS_URL',
]);

describe('docs/troubleshooting.md stays true to the error tables', () => {
  it('every code says what usually causes it and what to do', () => {
    for (const [code, d] of errorTable()) {
      expect(d.help?.causes.length ?? 0, code).toBeGreaterThan(30);
      expect(d.help?.fix.length ?? 0, code).toBeGreaterThan(20);
    }
  });

  it('its error codes are the generated ones (node scripts/errors-doc.mjs), every code with its status', () => {
    const doc = read('docs/troubleshooting.md');
    expect(
      withErrorCodes(doc, errorCodesSection(errorTable())),
      'run npm run build && node scripts/errors-doc.mjs',
    ).toBe(doc);
    for (const [code, d] of errorTable()) expect(doc).toContain(`\`${code}\` · ${d.status}`);
  });

  it('every TESSERA_ setting the docs and the advice name exists', () => {
    const names = new Set(
      Object.values(allFields()).flatMap((f) => [
        f.env,
        ...((f as { aliases?: string[] }).aliases ?? []),
      ]),
    );
    const pages = readdirSync(new URL('../../docs/', import.meta.url)).filter((f) =>
      f.endsWith('.md'),
    );
    const texts = [
      ...pages.map((p) => [`docs/${p}`, read(`docs/${p}`)] as const),
      ['README.md', read('README.md')] as const,
      ...[...errorTable()].map(([c, d]) => [c, `${d.help?.causes} ${d.help?.fix}`] as const),
    ];
    const unknown: string[] = [];
    for (const [where, text] of texts)
      for (const [name] of text.matchAll(/\bTESSERA_[A-Z0-9_]*[A-Z0-9]\b/g))
        if (!names.has(name) && !NOT_SETTINGS.has(name)) unknown.push(`${where}: ${name}`);
    expect([...new Set(unknown)]).toEqual([]);
  });
});
