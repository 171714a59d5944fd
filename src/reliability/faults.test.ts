/**
 * Fault tests with real processes: two `node dist/main.js` nodes, A and B, on
 * OUR OWN PostgreSQL and Redis (free ports, one schema, one key prefix), and
 * the dependency killed or stopped under them for about 5 s.
 *
 * The contract (what each fault must and must not do):
 *  a. Redis killed: logout answers 200 and the other node refuses that access
 *     token within 1 s, while Redis is still down (nodes poll SQL); login and
 *     refresh answer 200 within 1 s. After the restart every token revoked
 *     during the outage stays refused on both nodes and new logouts cross
 *     nodes within 1 s again.
 *  b. PostgreSQL stopped: login, refresh and logout answer 503 UNAVAILABLE in
 *     the envelope, with Retry-After, within ~2 s; after the restart, login
 *     works again within a few seconds.
 *  c. No node logs `unhandled error` during a fault; each node logs exactly one
 *     warn line `dependency unavailable` and one `dependency recovered`, with
 *     `dep` = 'redis' | 'postgres'.
 *  d. Every logout that answered 200 has its `logout` and `session.end` audit rows.
 *  e. No token whose logout answered 200 is accepted by /me on either node.
 *
 * Contract checks are soft assertions: one run reports every deviation, and
 * each test prints what it observed (statuses, timings) as one JSON line.
 *
 * Run: CI=true npx vitest run src/reliability
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureFreshBuild,
  FaultNode,
  haveFaultTools,
  missingFaultTools,
  OwnPostgres,
  OwnRedis,
  pgAnswers,
  waitFor,
  type Answer,
} from '../test-support/faults.js';

const ADMIN_PASSWORD = 'fault-suite-admin-pw-1';
const PW = 'a-strong-passphrase';
/** How long each dependency stays down. */
const OUTAGE_MS = 5_000;
/** The deadline of the calls made during an outage: longer than every limit asserted, so a slow answer is measured, not cut off. */
const CALL_TIMEOUT_MS = 4_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const ms = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));

interface Tokens {
  access_token: string;
  refresh_token: string;
}
interface LoggedOut {
  token: string;
  sid: string;
  userId: number;
  label: string;
}

function claimsOf(token: string): { sid: string; sub: string } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    sid: string;
    sub: string;
  };
}

/** What a call answered, short, for the observation record. */
function brief(r: Answer): Record<string, unknown> {
  return {
    status: r.status,
    error: r.data?.error,
    ms: ms(r.ms),
    ...(r.failure ? { failure: r.failure } : {}),
    ...(r.headers?.get('retry-after') ? { retryAfter: r.headers.get('retry-after') } : {}),
  };
}

describe.skipIf(!haveFaultTools())('faults: two nodes on their own PostgreSQL and Redis', () => {
  const schema = 'tessera_faults';
  const prefix = 'faults:';
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-faults-'));
  const redis = new OwnRedis();
  let pgsrv: OwnPostgres | undefined;
  let a!: FaultNode;
  let b!: FaultNode;
  /** Every logout that answered 200, in the whole file. */
  const loggedOut: LoggedOut[] = [];

  beforeAll(async () => {
    const missing = missingFaultTools();
    if (missing.length) throw new Error(`fault suite: missing ${missing.join(', ')}`);
    ensureFreshBuild();
    pgsrv = new OwnPostgres();
    await Promise.all([pgsrv.start(), redis.start()]);
    const env = {
      TESSERA_HOST: '127.0.0.1',
      TESSERA_DATABASE_URL: pgsrv.url,
      TESSERA_DATABASE_SCHEMA: schema,
      TESSERA_REDIS_URL: redis.url,
      TESSERA_REDIS_PREFIX: prefix,
      TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // info, not warn: a `dependency recovered` line at info level must be seen too.
      TESSERA_LOG_LEVEL: 'info',
      TESSERA_DATA_DIR: dataDir,
      // Many logins from 127.0.0.1 and of one user: keep the budgets out of the way.
      TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '100000',
      TESSERA_MAX_SESSIONS_PER_USER: '1000',
    };
    a = new FaultNode(env, 'A');
    b = new FaultNode(env, 'B');
    await a.start(); // first: migrates and creates the admin
    await b.start();
  }, 180_000);

  afterAll(async () => {
    const steps: (() => Promise<unknown>)[] = [
      async () => Promise.all([a?.stop(), b?.stop()]),
      () => redis.destroy(),
      async () => pgsrv?.destroy(),
      async () => rmSync(dataDir, { recursive: true, force: true }),
    ];
    for (const s of steps)
      await s().catch((e: unknown) => console.warn(`fault suite cleanup: ${(e as Error).message}`));
  }, 60_000);

  // ── helpers ───────────────────────────────────────────────────────────────
  const register = async (username: string) => {
    const r = await a.call('POST', '/api/public/auth/register', {
      body: { username, email: `${username}@example.com`, password: PW },
    });
    expect(r.status, `register ${username}: ${JSON.stringify(r.data)}`).toBe(201);
  };
  /** Login with every dependency up: must work (harness precondition, hard assertion). */
  const login = async (n: FaultNode, username: string): Promise<Tokens> => {
    const r = await n.call('POST', '/api/public/auth/login', { body: { username, password: PW } });
    expect(r.status, `login ${username} on ${n.name}: ${JSON.stringify(r.data)}`).toBe(200);
    return r.data.data as Tokens;
  };
  const loginCall = (n: FaultNode, username: string, timeoutMs = CALL_TIMEOUT_MS) =>
    n.call('POST', '/api/public/auth/login', { body: { username, password: PW }, timeoutMs });
  const refreshCall = (n: FaultNode, refresh: string) =>
    n.call('POST', '/api/public/auth/refresh', {
      body: { refresh_token: refresh },
      timeoutMs: CALL_TIMEOUT_MS,
    });
  /** Logout; a 200 enters `loggedOut` (audit and revocation checks). */
  const logout = async (n: FaultNode, token: string, label: string): Promise<Answer> => {
    const r = await n.call('POST', '/api/public/auth/logout', {
      token,
      timeoutMs: CALL_TIMEOUT_MS,
    });
    if (r.status === 200) {
      const c = claimsOf(token);
      loggedOut.push({ token, sid: c.sid, userId: Number(c.sub), label });
    }
    return r;
  };
  const me = (n: FaultNode, token: string) =>
    n.call('GET', '/api/public/auth/me', { token, timeoutMs: 2000 });
  /** ms until `n` answers /me with 401 SESSION_ENDED, or undefined if it did not within `limitMs`. */
  const refusedWithin = async (
    n: FaultNode,
    token: string,
    limitMs: number,
  ): Promise<number | undefined> => {
    const start = performance.now();
    for (;;) {
      const r = await me(n, token);
      if (r.status === 401 && r.data?.error === 'SESSION_ENDED') return performance.now() - start;
      if (performance.now() - start > limitMs) return undefined;
      await sleep(20);
    }
  };
  /** (e) Tokens whose logout answered 200 that a node still accepts. */
  const revokedAccepted = async () => {
    const accepted: string[] = [];
    for (const t of loggedOut) {
      for (const n of [a, b]) {
        const r = await me(n, t.token);
        if (r.status === 200) accepted.push(`${t.label} on ${n.name}`);
      }
    }
    return accepted;
  };
  /**
   * (d) Audit rows missing for logouts that answered 200; waits (bounded) for
   * buffered rows to land. `seen` lists, for diagnosis, every event stored for
   * the sessions concerned.
   */
  const auditCheck = async (deadlineMs: number) => {
    const expected = loggedOut.flatMap((t) =>
      ['logout', 'session.end'].map((event) => ({ ...t, event })),
    );
    let missing = expected;
    let rows: { event: string; session_id: string | null; user_id: number | null }[] = [];
    await waitFor(
      async () => {
        const c = new pg.Client({ connectionString: pgsrv!.url, connectionTimeoutMillis: 2000 });
        c.on('error', () => {});
        await c.connect();
        try {
          rows = (
            await c.query(
              `select event, session_id, user_id from "${schema}".audit_events where session_id = any($1::text[]) order by id`,
              [loggedOut.map((t) => t.sid)],
            )
          ).rows;
          const have = new Set(rows.map((row) => `${row.event}|${row.session_id}|${row.user_id}`));
          missing = expected.filter((e) => !have.has(`${e.event}|${e.sid}|${e.userId}`));
        } finally {
          await c.end().catch(() => {});
        }
        return missing.length === 0;
      },
      deadlineMs,
      250,
    );
    const seen: Record<string, string[]> = {};
    for (const m of missing)
      seen[m.label] = rows.filter((r) => r.session_id === m.sid).map((r) => r.event);
    return { missing: missing.map((m) => `${m.event} of ${m.label}`), seen };
  };
  const depLines = (n: FaultNode, from: number, dep: string) => {
    const lines = n.lines(from);
    const pos = (msg: string) =>
      lines.flatMap((l, i) => (l.msg === msg && l.dep === dep ? [i] : []));
    return {
      unavailable: lines.filter((l) => l.msg === 'dependency unavailable' && l.dep === dep),
      recovered: lines.filter((l) => l.msg === 'dependency recovered' && l.dep === dep),
      /** Line numbers, to check the order. */
      unavailableAt: pos('dependency unavailable'),
      recoveredAt: pos('dependency recovered'),
      unhandled: n.rawLines(from).filter((l) => l.includes('unhandled error')),
      auditWriteFailed: lines.filter((l) => l.msg === 'audit write failed').length,
    };
  };
  /** (c) for one fault, on both nodes, in the output since the marks. */
  const checkLogs = (
    dep: 'redis' | 'postgres',
    marks: Map<FaultNode, number>,
    record: Record<string, unknown>,
  ) => {
    for (const n of [a, b]) {
      const l = depLines(n, marks.get(n)!, dep);
      record[`logs${n.name}`] = {
        unavailable: l.unavailable.length,
        unavailableLevels: l.unavailable.map((x) => x.level),
        recovered: l.recovered.length,
        unhandledError: l.unhandled.length,
        auditWriteFailed: l.auditWriteFailed,
      };
      expect
        .soft(
          l.unhandled.length,
          `${n.name}: lines containing 'unhandled error' during the ${dep} outage (first: ${l.unhandled[0]?.slice(0, 300)})`,
        )
        .toBe(0);
      expect
        .soft(l.unavailable.length, `${n.name}: lines msg='dependency unavailable' dep='${dep}'`)
        .toBe(1);
      expect
        .soft(
          l.unavailable.map((x) => x.level),
          `${n.name}: level of the 'dependency unavailable' line (warn = 40)`,
        )
        .toEqual([40]);
      expect
        .soft(l.recovered.length, `${n.name}: lines msg='dependency recovered' dep='${dep}'`)
        .toBe(1);
      if (l.unavailableAt.length && l.recoveredAt.length) {
        expect
          .soft(
            l.recoveredAt[0]! > l.unavailableAt[0]!,
            `${n.name}: 'dependency recovered' comes after 'dependency unavailable'`,
          )
          .toBe(true);
      }
    }
  };
  const bothRecoveredLogged = (dep: string, marks: Map<FaultNode, number>) =>
    [a, b].every((n) => depLines(n, marks.get(n)!, dep).recovered.length > 0);
  /** Each test starts with both dependencies and both nodes up, whatever an earlier test left. */
  const ensureUp = async () => {
    if (!redis.running) await redis.start();
    if (!(await pgAnswers(pgsrv!.url))) await pgsrv!.start();
    // A node an earlier test crashed starts again (on a new port): this test stands on its own.
    for (const n of [a, b]) {
      if (n.alive) continue;
      console.warn(
        `[fault suite] node ${n.name} had exited (${JSON.stringify(n.exit)}); restarting it. Its last output:\n${n.tail(3000)}`,
      );
      await n.start();
    }
    // The nodes see both again (after an earlier outage).
    const ready = await waitFor(
      async () =>
        (await a.call('GET', '/readyz', { timeoutMs: 3000 })).status === 200 &&
        (await b.call('GET', '/readyz', { timeoutMs: 3000 })).status === 200,
      15_000,
      100,
    );
    expect(ready, 'both nodes ready before the test').toBe(true);
  };
  const report = (name: string, record: Record<string, unknown>) =>
    console.log(`[fault record] ${name} ${JSON.stringify(record)}`);

  // ── tests ─────────────────────────────────────────────────────────────────
  it('harness check, nothing down: logout crosses nodes within 1 s both ways', async () => {
    await ensureUp();
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

    checkLogs('redis', marks, record);
    const audit = await auditCheck(8_000);
    const missing = audit.missing;
    record.auditMissing = missing;
    if (missing.length) record.auditEventsOfThoseSessions = audit.seen;
    expect.soft(missing, 'audit rows missing for logouts that answered 200').toEqual([]);
    const accepted = await revokedAccepted();
    record.revokedTokenAccepted = accepted.length;
    expect
      .soft(
        accepted.length,
        `revoked token accepted (after the Redis fault): ${accepted.join('; ')}`,
      )
      .toBe(0);
    for (const n of [a, b]) {
      if (!n.alive) record[`exit${n.name}`] = { ...n.exit, lastOutput: n.tail(1500) };
      expect
        .soft(
          n.alive,
          `node ${n.name} still running (exit ${JSON.stringify(n.exit)}; last output: ${n.alive ? '' : n.tail(1500)})`,
        )
        .toBe(true);
    }
    report('redis', record);
  }, 90_000);

  it('PostgreSQL stopped for ~5 s: login, refresh and logout answer 503 UNAVAILABLE with Retry-After within ~2 s; login works again after', async () => {
    await ensureUp();
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

    checkLogs('postgres', marks, record);
    const audit = await auditCheck(8_000);
    const missing = audit.missing;
    record.auditMissing = missing;
    if (missing.length) record.auditEventsOfThoseSessions = audit.seen;
    expect
      .soft(
        missing,
        'audit rows missing for logouts that answered 200 (the one right before the stop included)',
      )
      .toEqual([]);
    const accepted = await revokedAccepted();
    record.revokedTokenAccepted = accepted.length;
    expect
      .soft(
        accepted.length,
        `revoked token accepted (after the PostgreSQL fault): ${accepted.join('; ')}`,
      )
      .toBe(0);
    for (const n of [a, b]) {
      if (!n.alive) record[`exit${n.name}`] = { ...n.exit, lastOutput: n.tail(1500) };
      expect
        .soft(
          n.alive,
          `node ${n.name} still running (exit ${JSON.stringify(n.exit)}; last output: ${n.alive ? '' : n.tail(1500)})`,
        )
        .toBe(true);
    }
    report('postgres', record);
  }, 90_000);
});
