import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capture } from '../test-support/cli.js';
import { main } from '../cli/main.js';

/** `tessera tenant add | list | disable | enable` on the embedded database. */
describe('tessera tenant', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.TESSERA_DATA_DIR = mkdtempSync(join(tmpdir(), 'tessera-tenant-cli-'));
    process.env.TESSERA_LOG_LEVEL = 'silent';
    delete process.env.TESSERA_DATABASE_URL;
    delete process.env.TESSERA_REDIS_URL;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('adds a tenant with its admin, lists it, disables and enables it; refuses bad input', async () => {
    process.env.TESSERA_NEW_PASSWORD = 'head-teacher-pass-1';
    const add = capture();
    expect(
      await main(['tenant', 'add', 'kg-7', '--name', 'Kindergarten 7', '--admin', 'head'], add.io),
    ).toBe(0);
    expect(add.out.join('')).toMatch(/created tenant kg-7 \(Kindergarten 7\) with admin head/);
    const list = capture();
    expect(await main(['tenant', 'list', '--json'], list.io)).toBe(0);
    expect(JSON.parse(list.out.at(-1)!)).toEqual([
      { id: 'default', name: 'Default', status: 'active' },
      { id: 'kg-7', name: 'Kindergarten 7', status: 'active' },
    ]);
    const off = capture();
    expect(await main(['tenant', 'disable', 'kg-7'], off.io)).toBe(0);
    expect(off.out.join('')).toMatch(/tenant kg-7 is disabled/);
    const on = capture();
    expect(await main(['tenant', 'enable', 'kg-7'], on.io)).toBe(0);
    expect(on.out.join('')).toMatch(/tenant kg-7 is active/);

    const dup = capture();
    expect(await main(['tenant', 'add', 'kg-7'], dup.io)).toBe(1);
    expect(dup.err.join('')).toMatch(/TENANT_EXISTS/);
    const bad = capture();
    expect(await main(['tenant', 'add', 'Not_Valid'], bad.io)).toBe(1);
    expect(bad.err.join('')).toMatch(/VALIDATION_FAILED/);
    expect(await main(['tenant', 'disable', 'default'], capture().io)).toBe(1);
    expect(await main(['tenant', 'disable', 'nobody'], capture().io)).toBe(1);
    expect(await main(['tenant'], capture().io)).toBe(2);
  });
});
