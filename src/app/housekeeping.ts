import type { Core, Job } from '../feature/contract.js';
import { createKeyStore } from '../keys/store.js';
import { createSessionStore } from '../sessions/store.js';
import { createRefreshStore } from '../tokens/refresh-store.js';

const MINUTE = 60_000;

/**
 * Background upkeep, each job idempotent so several nodes may run it:
 * end idle/expired sessions (their sockets are told), prune rows no live
 * token can need, and the features' jobs. Returns a stop function.
 */
export function startHousekeeping(rt: Core, featureJobs: readonly Job[] = []): () => void {
  // Pruning is by expiry, the same rule for every tenant: one statement over all of them.
  const every = rt.sql.all('pruning expired rows is the same for every tenant');
  const keys = createKeyStore(every);
  const sessions = createSessionStore(every);
  const refresh = createRefreshStore(every);
  const run = (name: string, fn: () => Promise<unknown>) => () =>
    void fn().catch((err: unknown) => rt.report(err, `housekeeping ${name}`));

  // Without Redis there is no bus between processes: the CLI (keys rotate,
  // user passwd) writes to SQL only, so re-read keys and revocations often.
  // With Redis these are a safety net behind pub/sub.
  const resync = rt.redis ? MINUTE : 10_000;
  const jobs = [
    setInterval(
      // Each tenant by its own timeouts; a tenant no node holds has no socket to tell, and its
      // sessions are refused by their expiry anyway. Every tenant this node serves is checked.
      run('expire-sessions', async () => {
        for (const t of await rt.loadedTenants()) await t.sessions.expireStale();
      }),
      MINUTE,
    ),
    setInterval(
      run('resync-revocations', () => rt.revocations.load()),
      resync,
    ),
    setInterval(
      run('resync-keys', () => rt.keyring.reload()),
      resync,
    ),
    setInterval(
      run('prune', async () => {
        const now = rt.clock.now();
        await rt.revocations.prune();
        await refresh.pruneExpired(now);
        await keys.pruneExpired(now);
        // Ended sessions are kept 30 days for the user's device list and the audit.
        await sessions.pruneEnded(now - 30 * 24 * 60 * MINUTE);
      }),
      60 * MINUTE,
    ),
    ...featureJobs.map((j) =>
      setInterval(
        run(j.name, () => j.run()),
        j.everyMs,
      ),
    ),
  ];
  for (const j of jobs) j.unref();
  return () => {
    for (const j of jobs) clearInterval(j);
  };
}
