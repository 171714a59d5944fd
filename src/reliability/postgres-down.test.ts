/**
 * Fault tests with real processes, PostgreSQL: two `node dist/main.js` nodes,
 * A and B, on OUR OWN PostgreSQL and Redis (cluster.test-support.ts), and
 * PostgreSQL stopped under them for about 5 s.
 *
 * The contract (what the fault must and must not do):
 *  b. PostgreSQL stopped: login, refresh and logout answer 503 UNAVAILABLE in
 *     the envelope, with Retry-After, within ~2 s; after the restart, login
 *     works again within a few seconds.
 *  c, d, e: the logs, audit rows and revocations (contract.test-support.ts).
 *
 * Contract checks are soft assertions: one run reports every deviation, and
 * the test prints what it observed (statuses, timings) as one JSON line.
 *
 * Run: CI=true npx vitest run src/reliability
 */
import { describe, expect, it } from 'vitest';
import type { Answer } from '../test-support/faults/fault-node.js';
import { sleep, waitFor } from '../test-support/faults/shared.js';
import { haveFaultTools } from '../test-support/faults/tools.js';
import { OUTAGE_MS, useFaultCluster } from './cluster.test-support.js';
import { brief, contractChecks, ms } from './contract.test-support.js';

describe.skipIf(!haveFaultTools())('faults: two nodes on their own PostgreSQL and Redis', () => {
  const cluster = useFaultCluster();
  const { register, login, loginCall, refreshCall, logout, ensureUp, report } = cluster;
  const { bothRecoveredLogged, afterFault } = contractChecks(cluster);

  it('PostgreSQL stopped for ~5 s: login, refresh and logout answer 503 UNAVAILABLE with Retry-After within ~2 s; login works again after', async () => {
    await ensureUp();
    const { a, b } = cluster;
    const pgsrv = cluster.pgsrv;
    await register('pia');
    const record: Record<string, unknown> = {};
    const pre = await login(a, 'pia'); // logged out right before PostgreSQL stops
    const dA = await login(a, 'pia');
    const dB = await login(b, 'pia');
    const rA = await login(a, 'pia');
    const rB = await login(b, 'pia');
    const marks = new Map([
      [a, a.mark()],
      [b, b.mark()],
    ]);

    // A logout answered 200 just before the stop: its audit rows may still be in the node's buffer.
    const before = await logout(a, pre.access_token, 'logout on A right before PostgreSQL stops');
    record.logoutBeforeStop = brief(before);
    expect.soft(before.status, 'logout on A right before PostgreSQL stops').toBe(200);
    await pgsrv!.stop('immediate');
    const t0 = performance.now();
    try {
      const calls = await Promise.all([
        loginCall(a, 'pia'),
        loginCall(b, 'pia'),
        refreshCall(a, rA.refresh_token),
        refreshCall(b, rB.refresh_token),
        logout(a, dA.access_token, 'logout on A during the PostgreSQL outage'),
        logout(b, dB.access_token, 'logout on B during the PostgreSQL outage'),
      ]);
      const names = [
        'login on A',
        'login on B',
        'refresh on A',
        'refresh on B',
        'logout on A',
        'logout on B',
      ];
      record.during = Object.fromEntries(calls.map((r, i) => [names[i], brief(r)]));
      calls.forEach((r, i) => {
        const name = `${names[i]} with PostgreSQL down`;
        const body = r.data as { code?: unknown; message?: unknown; error?: unknown } | null;
        expect
          .soft(
            r.status,
            `${name}: status (body ${JSON.stringify(r.data)}${r.failure ? `, ${r.failure}` : ''})`,
          )
          .toBe(503);
        expect.soft(body?.error, `${name}: error code`).toBe('UNAVAILABLE');
        expect
          .soft(
            body !== null &&
              body.code === 503 &&
              typeof body.message === 'string' &&
              'data' in body,
            `${name}: JSON envelope {code: 503, message, error, data}`,
          )
          .toBe(true);
        expect
          .soft(r.headers?.get('retry-after') ?? '(none)', `${name}: retry-after header`)
          .toMatch(/^\d+$|GMT$/);
        expect.soft(r.ms, `${name}: ms to answer (~2 s at most)`).toBeLessThanOrEqual(2500);
      });
      const left = OUTAGE_MS - (performance.now() - t0);
      if (left > 0) await sleep(left);
    } finally {
      record.postgresDownMs = ms(performance.now() - t0);
      await pgsrv!.start();
    }
    const started = performance.now();

    // Login works again within a few seconds, on both nodes (measured side by side, from the restart).
    const back: Record<string, unknown> = {};
    await Promise.all(
      [a, b].map(async (n) => {
        let last: Answer | undefined;
        const outcome = await waitFor(
          async () => {
            if (!n.alive) return 'exited'; // stop early: a dead node never logs in
            last = await loginCall(n, 'pia', 3000);
            return last.status === 200 ? 'ok' : undefined;
          },
          15_000,
          100,
        );
        const ok = outcome === 'ok';
        const after = performance.now() - started;
        back[n.name] = ok
          ? ms(after)
          : { notWithin: '15 s', alive: n.alive, last: last ? brief(last) : undefined };
        expect
          .soft(
            ok ? after : Infinity,
            `ms after PostgreSQL restarts until a login on ${n.name} answers 200 (alive: ${n.alive})`,
          )
          .toBeLessThanOrEqual(5000);
      }),
    );
    record.loginBackAfterMs = back;
    await waitFor(() => bothRecoveredLogged('postgres', marks), 8_000, 100);

    await afterFault('postgres', marks, record);
    report('postgres', record);
  }, 90_000);
});
