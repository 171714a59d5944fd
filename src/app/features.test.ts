import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { Feature } from '../feature/contract.js';
import { errorDef } from '../contract/errors.js';
import { fail, type TesseraError } from '../lib/errors.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { FEATURES, loadAppConfig } from './features.js';
import { declarationsOf, orderFeatures } from './lifecycle.js';
import { createRuntime } from './runtime.js';

const f = (name: string, needs: string[] = []): Feature => ({ name, needs, start: () => ({}) });

describe('the feature list', () => {
  it('starts each feature after the ones it needs, otherwise in list order', () => {
    const order = orderFeatures([f('a', ['c']), f('b'), f('c')]).map((x) => x.name);
    expect(order).toEqual(['c', 'a', 'b']);
    // The product's own list: every need is met and no two features share a name.
    const names = orderFeatures(FEATURES).map((x) => x.name);
    expect(names.indexOf('alerts')).toBeLessThan(names.indexOf('brute-force'));
    expect(names.indexOf('presence')).toBeLessThan(names.indexOf('customer-service-api'));
  });

  it('refuses a missing need, a circle of needs and a duplicate name', () => {
    expect(() => orderFeatures([f('a', ['x'])])).toThrow(/needs feature x/);
    expect(() => orderFeatures([f('a', ['b']), f('b', ['a'])])).toThrow(/a -> b -> a/);
    expect(() => orderFeatures([f('a'), f('a')])).toThrow(/share a name/);
  });

  it("registers a feature's error codes; a conflicting redefinition throws", () => {
    const feature: Feature = {
      name: 'x',
      errors: { X_TEST_CODE: { status: 418, en: 'A teapot', zh: '茶壶' } },
      start: () => ({}),
    };
    declarationsOf([feature]);
    declarationsOf([feature]);
    expect(errorDef('X_TEST_CODE' as never).status).toBe(418);
    expect(() =>
      declarationsOf([{ ...feature, errors: { X_TEST_CODE: { status: 400, en: 'B', zh: '乙' } } }]),
    ).toThrow(/defined twice/);
    // A service may throw a feature's code before any app exists; its status is read from
    // the table once the feature is registered (every app registers its features).
    const e = (() => {
      try {
        fail('ACCOUNT_LOCKED');
      } catch (err) {
        return err as TesseraError;
      }
    })();
    expect(e.code).toBe('ACCOUNT_LOCKED');
    declarationsOf(FEATURES);
    expect(e.status).toBe(423);
  });

  it("refuses to start on a configuration loaded without the features' fields", async () => {
    await expect(
      createRuntime(loadConfig({}, { logLevel: 'silent' }), { sqlitePath: ':memory:' }),
    ).rejects.toThrow(/rsaKeyTtl.*loadAppConfig/);
  });
});

describe("a feature's declarations", () => {
  it('its permission joins the catalogue and the admin role; its migration runs', async () => {
    let migrated = false;
    const extra: Feature = {
      name: 'x-test',
      permissions: ['xtest:write'],
      migrations: {
        '9001_xtest': {
          up: async () => {
            migrated = true;
          },
        },
      },
      start: () => ({}),
    };
    const rt = await createRuntime(loadAppConfig({}, { logLevel: 'silent' }), {
      sqlitePath: ':memory:',
      noHousekeeping: true,
      features: [...FEATURES, extra],
    });
    try {
      expect(migrated).toBe(true);
      expect(rt.roles.catalogue()).toContain('xtest:write');
      expect(rt.roles.get('admin')!.permissions).toContain('xtest:write');
      expect(rt.roles.get('user')!.permissions).not.toContain('xtest:write');
      expect(rt.featureNames).toContain('x-test');
    } finally {
      await rt.close();
    }
  });
});

describe('two apps in one process', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('each keeps its own services and its own default locale', async () => {
    const en = await createTestServer({ config: { defaultLocale: 'en' } });
    servers.push(en);
    const zh = await createTestServer({ config: { defaultLocale: 'zh' } });
    servers.push(zh);
    expect(en.rt.features.presence).not.toBe(zh.rt.features.presence);
    expect(en.rt.features.bruteForce!.store).not.toBe(zh.rt.features.bruteForce!.store);
    const a = await en.call('GET', '/api/public/auth/me');
    const b = await zh.call('GET', '/api/public/auth/me');
    expect(a.statusCode).toBe(401);
    expect(a.data.message).toBe('TOKEN_MISSING: Authentication is required');
    expect(b.data.message).toBe('TOKEN_MISSING: 需要登录');
    // The client's own language still wins.
    const c = await zh.call('GET', '/api/public/auth/me', { headers: { 'accept-language': 'en' } });
    expect(c.data.message).toBe('TOKEN_MISSING: Authentication is required');
    expect(loadAppConfig({}).rsaKeyTtl).toBe(300);
  });
});
