import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory.js';
import { loadConfig } from '../config/load.js';
import { ManualClock } from '../lib/clock.js';
import { createTestDb, dialects, type TestDb } from '../test-support/db.js';
import { waitFor } from '../test-support/auth-helpers.js';
import { createSettingsService, type DynamicSettings } from './service.js';

describe.each(dialects())('settings service (%s)', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(() => t?.drop());

  it('start values, overrides persisted in SQL, broadcast to the other nodes, null restores', async () => {
    const config = loadConfig({}, { maxSessions: 7, loginPolicy: 'kefu=single' });
    const bus = createMemoryBus();
    const clock = new ManualClock();
    const a = createSettingsService(config, t.db.kysely, bus, clock);
    const b = createSettingsService(config, t.db.kysely, bus, clock);
    await a.start();
    await b.start();
    expect(a.get()).toMatchObject({ maxSessions: 7, loginPolicy: 'kefu=single' });
    const seen: DynamicSettings[] = [];
    b.onChange((s) => seen.push(s));
    await a.update({ maxSessions: 3, loginPolicy: 'kefu=reject' });
    expect(a.get().maxSessions).toBe(3);
    await waitFor(() => b.get().maxSessions === 3);
    expect(b.get().loginPolicyMap.get('kefu')).toBe('reject');
    expect(seen.length).toBeGreaterThan(0);
    await a.update({ maxSessions: null });
    await waitFor(() => b.get().maxSessions === 7);
    expect(b.get().loginPolicy).toBe('kefu=reject');
    await a.update({ loginPolicy: null });
  });

  it('a corrupt or invalid row keeps the start value', async () => {
    const config = loadConfig({}, { maxSessions: 7 });
    await t.db.kysely
      .insertInto('settings')
      .values([
        { key: 'maxSessions', value: '{not json', updated_at: 0 },
        { key: 'accessTokenTtl', value: '5', updated_at: 0 },
        { key: 'notASetting', value: '1', updated_at: 0 },
      ])
      .execute();
    const s = createSettingsService(config, t.db.kysely, createMemoryBus(), new ManualClock());
    await s.start();
    expect(s.get()).toMatchObject({ maxSessions: 7, accessTokenTtl: 900 });
  });
});
