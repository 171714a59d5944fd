/**
 * Fault tests with real processes, Redis: two `node dist/main.js` nodes, A and
 * B, on OUR OWN PostgreSQL and Redis (cluster.test-support.ts), and Redis
 * killed under them for about 5 s.
 *
 * The contract (what the fault must and must not do):
 *  a. Redis killed: logout answers 200 and the other node refuses that access
 *     token within 1 s, while Redis is still down (nodes poll SQL); login and
 *     refresh answer 200 within 1 s. After the restart every token revoked
 *     during the outage stays refused on both nodes and new logouts cross
 *     nodes within 1 s again.
 *  c, d, e: the logs, audit rows and revocations (contract.test-support.ts).
 * Before it, a harness check with nothing down.
 *
 * Contract checks are soft assertions: one run reports every deviation, and
 * each test prints what it observed (statuses, timings) as one JSON line.
 *
 * Run: CI=true npx vitest run src/reliability
 */
import { describe, expect, it } from 'vitest';
import type { FaultNode } from '../test-support/faults/fault-node.js';
import { sleep, waitFor } from '../test-support/faults/shared.js';
import { haveFaultTools } from '../test-support/faults/tools.js';
import { OUTAGE_MS, type Tokens, useFaultCluster } from './cluster.test-support.js';
import { brief, contractChecks, ms } from './contract.test-support.js';

describe.skipIf(!haveFaultTools())('faults: two nodes on their own PostgreSQL and Redis', () => {
  const cluster = useFaultCluster();
  const { register, login, loginCall, refreshCall, logout, me, refusedWithin, ensureUp, report } =
    cluster;
  const { revokedAccepted, auditCheck, bothRecoveredLogged, afterFault } = contractChecks(cluster);

  it('harness check, nothing down: logout crosses nodes within 1 s both ways', async () => {
    await ensureUp();
    const { a, b } = cluster;
    await register('base');
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const t = await login(from, 'base');
      expect((await me(to, t.access_token)).status).toBe(200);
      expect((await logout(from, t.access_token, `baseline logout on ${from.name}`)).status).toBe(
        200,
      );
      expect(
        await refusedWithin(to, t.access_token, 1000),
        `${to.name} refuses within 1 s`,
      ).toBeDefined();
    }
    const l = await loginCall(a, 'base');
    expect(l.status).toBe(200);
    expect(l.ms, 'a login with everything up').toBeLessThan(1000);
    expect(await revokedAccepted()).toEqual([]);
    expect((await auditCheck(5000)).missing).toEqual([]);
  }, 30_000);

  it('Redis killed for ~5 s: logout 200 and refused on the other node within 1 s, login and refresh 200 within 1 s, nothing revoked comes back', async () => {
    await ensureUp();
    const { a, b, redis, loggedOut } = cluster;
    await register('ruth');
    const record: Record<string, unknown> = {};
    const outA = await login(a, 'ruth'); // logged out on A during the outage
    const outB = await login(b, 'ruth'); // logged out on B during the outage
    const refA = await login(a, 'ruth');
    const refB = await login(b, 'ruth');
    expect((await me(b, outA.access_token)).status).toBe(200);
    expect((await me(a, outB.access_token)).status).toBe(200);
    const marks = new Map([
      [a, a.mark()],
      [b, b.mark()],
    ]);

    await redis.kill();
    const t0 = performance.now();
    try {
      // The kill resets the nodes' connections at once; give them a moment to notice.
      await sleep(300);
      const crossLogout = async (from: FaultNode, to: FaultNode, t: Tokens) => {
        const r = await logout(
          from,
          t.access_token,
          `logout on ${from.name} during the Redis outage`,
        );
        const refusedMs = await refusedWithin(to, t.access_token, 1500);
        return { r, refusedMs, redisStillDown: !redis.running };
      };
      const [loA, loB, liA, liB, rfA, rfB] = await Promise.all([
        crossLogout(a, b, outA),
        crossLogout(b, a, outB),
        loginCall(a, 'ruth'),
        loginCall(b, 'ruth'),
        refreshCall(a, refA.refresh_token),
        refreshCall(b, refB.refresh_token),
      ]);
      record.during = {
        logoutA: {
          ...brief(loA.r),
          refusedOnBAfterMs: ms(loA.refusedMs) ?? 'not within 1500',
          redisStillDown: loA.redisStillDown,
        },
        logoutB: {
          ...brief(loB.r),
          refusedOnAAfterMs: ms(loB.refusedMs) ?? 'not within 1500',
          redisStillDown: loB.redisStillDown,
        },
        loginA: brief(liA),
        loginB: brief(liB),
        refreshA: brief(rfA),
        refreshB: brief(rfB),
      };
      expect
        .soft(
          loA.r.status,
          `logout on A with Redis down: status (body ${JSON.stringify(loA.r.data)})`,
        )
        .toBe(200);
      expect
        .soft(
          loA.refusedMs ?? Infinity,
          'ms from the logout answer on A until B refuses the token (SESSION_ENDED), Redis down',
        )
        .toBeLessThanOrEqual(1000);
      expect.soft(loA.redisStillDown, 'Redis was still down when B was checked').toBe(true);
      for (const [name, r] of [
        ['login on A', liA],
        ['login on B', liB],
        ['refresh on A', rfA],
        ['refresh on B', rfB],
      ] as const) {
        expect
          .soft(
            r.status,
            `${name} with Redis down: status (body ${JSON.stringify(r.data)}${r.failure ? `, ${r.failure}` : ''})`,
          )
          .toBe(200);
        expect.soft(r.ms, `${name} with Redis down: ms to answer`).toBeLessThanOrEqual(1000);
      }
      const left = OUTAGE_MS - (performance.now() - t0);
      if (left > 0) await sleep(left);
    } finally {
      record.redisDownMs = ms(performance.now() - t0);
      await redis.start();
    }
    const restarted = performance.now();

    // Both nodes answer readyz again (they reach Redis), and say so in their logs (bounded waits).
    const ready = await waitFor(
      async () =>
        (await a.call('GET', '/readyz', { timeoutMs: 2000 })).status === 200 &&
        (await b.call('GET', '/readyz', { timeoutMs: 2000 })).status === 200,
      15_000,
      100,
    );
    record.readyAfterRestartMs = ready ? ms(performance.now() - restarted) : 'not within 15 s';
    expect.soft(ready, 'both nodes ready again after Redis restarts').toBe(true);
    await waitFor(() => bothRecoveredLogged('redis', marks), 8_000, 100);

    // Every token revoked during the outage stays refused on both nodes.
    const duringOutage = loggedOut.filter((t) => t.label.includes('during the Redis outage'));
    for (const t of duringOutage) {
      for (const n of [a, b]) {
        const r = await me(n, t.token);
        expect
          .soft(
            `${r.status} ${r.data?.error}`,
            `after the Redis restart: /me on ${n.name} with the token of "${t.label}"`,
          )
          .toBe('401 SESSION_ENDED');
      }
    }
    // For the record: the tokens whose logout did NOT answer 200 during the outage.
    const statuses = async (t: Tokens) => ({
      A: (await me(a, t.access_token)).status,
      B: (await me(b, t.access_token)).status,
    });
    record.afterRestartMeOfOutageTokens = {
      outA: await statuses(outA),
      outB: await statuses(outB),
    };

    // New logouts cross nodes within 1 s again.
    const cross: Record<string, unknown> = {};
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const t = await login(from, 'ruth');
      const r = await logout(
        from,
        t.access_token,
        `logout on ${from.name} after the Redis restart`,
      );
      const refused = await refusedWithin(to, t.access_token, 3000);
      cross[`${from.name}to${to.name}`] = {
        ...brief(r),
        refusedAfterMs: ms(refused) ?? 'not within 3000',
      };
      expect.soft(r.status, `logout on ${from.name} after the Redis restart`).toBe(200);
      expect
        .soft(
          refused ?? Infinity,
          `after the Redis restart: ms until ${to.name} refuses a token logged out on ${from.name}`,
        )
        .toBeLessThanOrEqual(1000);
    }
    record.afterRestart = cross;

    await afterFault('redis', marks, record);
    report('redis', record);
  }, 90_000);
});
