import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTesseraError } from '../lib/errors.js';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import { failClosed } from './feature.js';

describe('brute-force feature wiring', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await createTestServer({ clock: new ManualClock() });
  });
  afterAll(() => t?.close());

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await t.call('GET', '/openapi.json')).data as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.paths['/api/public/captcha/challenge']?.get).toBeDefined();
    expect(doc.paths['/api/admin/audit']?.get).toBeDefined();
    expect(doc.paths['/api/admin/users/{id}/unlock']?.post).toBeDefined();
  });

  it('installs the guard and the captcha check, and exposes its services', () => {
    const s = t.rt.features.bruteForce!;
    expect(s.captcha.name).toBe('altcha');
    expect(t.rt.features.captcha).not.toBe(undefined);
  });

  it('a policy store that fails refuses the login (503), it never waves it through', async () => {
    const broken = failClosed(
      {
        before: async () => Promise.reject(new Error('redis down')),
        failed: async () => {},
        succeeded: async () => {},
      },
      pino({ level: 'silent' }),
    );
    const e = await broken.before({ accountKey: 'x', ip: '1.2.3.4' }).catch((err: unknown) => err);
    expect(isTesseraError(e) && e.code).toBe('UNAVAILABLE');
  });

  it('the ALTCHA key is generated once and shared through the database', async () => {
    const rows = await t.rt.db.kysely
      .withTables<{ security_secrets: { name: string; value: string } }>()
      .selectFrom('security_secrets')
      .select('name')
      .execute();
    expect(rows.map((r) => r.name).sort()).toEqual(['altcha-hmac-key', 'device-hash-key']);
  });
});
