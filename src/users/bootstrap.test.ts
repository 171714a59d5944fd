import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadAppConfig } from '../app/features.js';
import { createRuntime } from '../app/runtime.js';
import { bootstrapUsers } from './bootstrap.js';

async function firstRun(env: Record<string, string>) {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const rt = await createRuntime(loadAppConfig(env, { logLevel: 'info' }), {
    sqlitePath: ':memory:',
    noHousekeeping: true,
    log,
  });
  await bootstrapUsers(rt);
  return { rt, lines };
}

/** @see issue 2 §7 */
describe('first run', () => {
  it('creates admin with a random password printed once, which logs in', async () => {
    const { rt, lines } = await firstRun({});
    try {
      const msg = lines.map((l) => JSON.parse(l)).find((l) => l.username === 'admin');
      expect(msg.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const admin = (await rt.users.byLoginName('admin'))!;
      expect(await rt.hasher.verify(admin.password_hash, msg.password)).toBe(true);
      expect(await rt.users.roles(admin.id)).toContain('admin');
      await bootstrapUsers(rt);
      expect(await rt.users.store.count()).toBe(1);
    } finally {
      await rt.close();
    }
  });

  it('uses TESSERA_ADMIN_PASSWORD and never logs it', async () => {
    const { rt, lines } = await firstRun({ TESSERA_ADMIN_PASSWORD: 'operator-chosen-pw' });
    try {
      const admin = (await rt.users.byLoginName('admin'))!;
      expect(await rt.hasher.verify(admin.password_hash, 'operator-chosen-pw')).toBe(true);
      expect(lines.join('')).not.toContain('operator-chosen-pw');
    } finally {
      await rt.close();
    }
  });

  it('TESSERA_DEMO=1 seeds the seed-000 demo users with a loud warning', async () => {
    const { rt, lines } = await firstRun({ TESSERA_DEMO: '1' });
    try {
      const kefu = (await rt.users.byLoginName('kefu1'))!;
      expect(kefu).toMatchObject({ user_type: 'kefu', display_name: '客服001' });
      expect(await rt.hasher.verify(kefu.password_hash, 'kefu123')).toBe(true);
      const admin = (await rt.users.byLoginName('admin'))!;
      expect(await rt.hasher.verify(admin.password_hash, 'admin123')).toBe(true);
      expect(lines.some((l) => /KNOWN PASSWORDS/.test(l) && JSON.parse(l).level === 40)).toBe(true);
    } finally {
      await rt.close();
    }
  });

  it('production refuses TESSERA_DEMO', () => {
    expect(() =>
      loadAppConfig({ NODE_ENV: 'production', TESSERA_TRUST_PROXY: 'none', TESSERA_DEMO: '1' }),
    ).toThrow(/TESSERA_DEMO/);
  });
});
