import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from '../feature/contract.js';
import type { TransferDeps } from './import.js';

/** What the import and export take, from a test server's runtime (as the CLI builds it). */
export const depsOf = (rt: Services): TransferDeps => ({
  sql: rt.sql,
  tenants: rt.tenants,
  tenantCore: (t) => rt.tenantCore(t),
  hasher: rt.hasher,
  clock: rt.clock,
});

/** A file with `text` in a fresh directory; returns its path. */
export function fileWith(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tessera-import-')), name);
  writeFileSync(path, text);
  return path;
}

/** Polls `read` until `ok` holds (a rehash runs after the login answers); at most ~5 s. */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 250 && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 20));
    v = await read();
  }
  return v;
}
