// Measures what 1,000 tenants with 10 users each cost one node (issue 11, point 7):
// start-up time and memory with the tenants in the database, then the cost of
// loading every tenant's services (first request of each), on the embedded SQLite.
// Run after `npm run build`: node scripts/tenants-scale.mjs [tenants] [usersPerTenant]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const TENANTS = Number(process.argv[2] ?? 1000);
const USERS = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'tessera-tenants-'));
const { loadAppConfig } = await import('../dist/app/features.js');
const { createRuntime } = await import('../dist/app/runtime.js');
const { asTenantId } = await import('../dist/db/scope.js');
const config = loadAppConfig({
  TESSERA_DATA_DIR: dir,
  TESSERA_LOG_LEVEL: 'warn',
  TESSERA_RSA_KEY_POOL_SIZE: '1',
});
const mb = (n) => Math.round((n / 1024 / 1024) * 10) / 10;
const mem = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapMb: mb(m.heapUsed) };
};

// 1. Seed: tenants, and their users with one precomputed hash (hashing 10,000 passwords measures argon2, not tenants).
let rt = await createRuntime(config, { noHousekeeping: true });
const hash = await rt.hasher.hash('a-strong-passphrase');
const t0 = performance.now();
for (let i = 0; i < TENANTS; i++) {
  const id = asTenantId(`t${i}`);
  await rt.tenants.create(id, `Tenant ${i}`);
  const now = Date.now();
  await rt.sql
    .scope(id)
    .insertInto('users')
    .values(
      Array.from({ length: USERS }, (_, u) => ({
        username: `user${u}`,
        username_key: `user${u}`,
        email: null,
        email_key: null,
        password_hash: hash,
        user_type: 'user',
        status: 'active',
        created_at: now,
        updated_at: now,
        password_changed_at: now,
      })),
    )
    .execute();
}
const seedMs = performance.now() - t0;
await rt.close();

// 2. A fresh node on that database.
const before = mem();
const s0 = performance.now();
rt = await createRuntime(config, { noHousekeeping: true });
const startMs = performance.now() - s0;
const afterStart = mem();

// 3. Every tenant's first request: its settings, roles and keys loaded (keys generated once).
const l0 = performance.now();
for (let i = 0; i < TENANTS; i++) await rt.forTenant(asTenantId(`t${i}`));
const firstLoadMs = performance.now() - l0;
const afterFirst = mem();
// 4. Again, on a node that restarts: keys now exist, so loading is reading.
await rt.close();
rt = await createRuntime(config, { noHousekeeping: true });
const r0 = performance.now();
for (let i = 0; i < TENANTS; i++) await rt.forTenant(asTenantId(`t${i}`));
const reloadMs = performance.now() - r0;
const afterAll = mem();
const h0 = performance.now();
for (let i = 0; i < TENANTS; i++) await rt.forTenant(asTenantId(`t${i}`));
const hitUs = ((performance.now() - h0) / TENANTS) * 1000;
await rt.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      tenants: TENANTS,
      usersPerTenant: USERS,
      seedMs: Math.round(seedMs),
      startMs: Math.round(startMs),
      memory: {
        beforeStart: before,
        afterStart,
        afterEveryTenantLoaded: afterFirst,
        afterReload: afterAll,
      },
      firstLoadPerTenantMs: Math.round((firstLoadMs / TENANTS) * 10) / 10,
      loadPerTenantMs: Math.round((reloadMs / TENANTS) * 10) / 10,
      cachedLookupUs: Math.round(hitUs * 10) / 10,
    },
    null,
    2,
  ),
);
