/**
 * The embedded test servers of the brute-force tests (SQLite, memory
 * counters), time driven by a ManualClock, closed after each test; and the
 * password and peer addresses those tests use.
 */
import { afterEach } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestServer, type TestServer } from '../test-support/server.js';

export const PW = 'a-strong-passphrase';
export const MIN = 60_000;
export const A = '198.51.100.7';
export const B = '203.0.113.9';

/** `start(config, clock)`: a test server, closed after each test of the calling file. */
export function useServers() {
  let servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers) await s.close();
    servers = [];
  });

  async function start(config: Record<string, unknown> = {}, clock = new ManualClock()) {
    const t = await createTestServer({ clock, config });
    servers.push(t);
    return { t, clock };
  }
  return start;
}
