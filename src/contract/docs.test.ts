import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allFields, FEATURES } from '../app/features.js';
import { declarationsOf } from '../app/lifecycle.js';
import { errorTable } from './errors.js';

// The core's codes and fields and every feature's, as a running app has them.
declarationsOf(FEATURES);
const ERRORS = Object.fromEntries(errorTable());
const FIELDS = allFields();

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

/** The docs must not drift from the code. */
describe('docs stay true to the code', () => {
  it('every error code is in docs/api.md with its status', () => {
    const doc = read('docs/api.md');
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${e.status} \\|`));
    }
  });

  it('every error code has an English and a Chinese message', () => {
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(e.en.length, code).toBeGreaterThan(3);
      expect(e.zh, code).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('every setting is in docs/configuration.md', () => {
    const doc = read('docs/configuration.md');
    for (const f of Object.values(FIELDS)) expect(doc, f.env).toContain(`\`${f.env}\``);
  });

  it('every contract variable of shared/API.md exists', () => {
    const names = new Set(
      Object.values(FIELDS).flatMap((f) => [
        f.env,
        ...((f as { aliases?: string[] }).aliases ?? []),
      ]),
    );
    for (const v of [
      'TESSERA_HOST',
      'TESSERA_PORT',
      'TESSERA_DATA_DIR',
      'TESSERA_DATABASE_URL',
      'TESSERA_REDIS_URL',
      'TESSERA_CONTEXT_PATH',
      'TESSERA_ADMIN_PASSWORD',
      'TESSERA_DEMO',
      'TESSERA_JWT_PRIVATE_KEY_FILE',
      'TESSERA_JWT_SECRET',
      'JWT_SECRET',
      'TESSERA_ACCESS_TOKEN_TTL_SECONDS',
      'TESSERA_REFRESH_TOKEN_TTL_SECONDS',
      'TESSERA_RSA_KEY_TTL_SECONDS',
      'TESSERA_LOGIN_POLICY',
    ]) {
      expect(names.has(v), v).toBe(true);
    }
  });
});
