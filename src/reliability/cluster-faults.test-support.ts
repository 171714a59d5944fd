/**
 * The faults of the three-node run and what is checked after each
 * (cluster-faults.test.ts, scripts/cluster-faults.mjs): Redis killed
 * (SIGKILL) and restarted, PostgreSQL stopped (fast) and started, one node
 * SIGKILLed in the middle of a burst of logins and restarted, each with the
 * workload of cluster-workload.test-support.ts running. For each: what failed
 * (kind, status, code, count), for how long, how soon the nodes were ready
 * again, and then
 *  - every ended session refused on every node (a restarted node is checked
 *    before it takes any workload);
 *  (e) the online list the same on every node and equal to the users with an
 *      open socket, once converged (time measured, bounded);
 * and (c) every answered login, refresh and end so far has its audit row and
 * (b) no live session holds two unused refresh tokens (after each fault and at
 * the end of the run).
 */
import pg from 'pg';
import type { OwnCluster } from '../test-support/faults/cluster.js';
import { ADMIN_PASSWORD } from '../test-support/faults/cluster.js';
import type { FaultNode } from '../test-support/faults/fault-node.js';
import { sleep, waitFor } from '../test-support/faults/shared.js';
import type { Workload } from './cluster-workload.test-support.js';

/** (e): the online lists agree within this after the fault's end (a killed node's entries live 15 s). */
const CONVERGE_BOUND_MS = 25_000;

export interface FaultRecord {
  fault: 'redis' | 'postgres' | 'node';
  node?: string;
  /** ms the dependency (or node) was down. */
  downMs: number;
  /** ms from the restart until every node answered /readyz 200. */
  readyAfterMs: number | null;
  /** Calls that failed (no answer or 5xx) from the fault to the end of its checks. */
  failed: { kind: string; status: number; code: string; count: number }[];
  /** From the first to the last failed call, ms; 0 if none failed. */
  failingForMs: number;
  /** Calls answered 200/201/101 from the fault until the restart, by kind. */
  servedDuring: Record<string, number>;
  /** The slowest close (or session_ended frame) of a socket whose session ended in the window, ms. */
  socketCloseMaxMs: number;
  /** Why a node was not ready within 20 s of the restart (diagnostics). */
  notReady?: string[];
  /** Ended sessions checked on every node right after the restart, and how many were accepted. */
  sweep: { checks: number; accepted: number };
  /** ms from the end of the fault until the online lists agreed, or null (see violations). */
  onlineConvergedMs: number | null;
  /**
   * The node fault: the burst of logins cut by the kill (`sent`, `ok` answered
   * 200, of which `endedAfter` were ended on another node afterwards), and of
   * every login sent to the node from then on, how many got no answer or
   * another status.
   */
  burst?: {
    sent: number;
    ok: number;
    noAnswer: number;
    other: number;
    endedAfter: number;
    /** Why an answered login of the burst could not be ended afterwards. */
    refusals?: string[];
  };
}

const OK = new Set([101, 200, 201]);

function summarise(w: Workload, from: number, until: number, to: number) {
  const calls = w.calls;
  const closes = w.closeDelays.filter((d) => d.at >= from && d.at <= to).map((d) => d.ms);
  const inWindow = calls.filter((c) => c.at >= from && c.at <= to);
  const failed = inWindow.filter((c) => c.status === 0 || c.status >= 500);
  const groups = new Map<string, { kind: string; status: number; code: string; count: number }>();
  for (const c of failed) {
    const code = c.code ?? (c.failure ? 'no answer' : '');
    const k = `${c.kind}|${c.status}|${code}`;
    const g = groups.get(k) ?? { kind: c.kind, status: c.status, code, count: 0 };
    g.count++;
    groups.set(k, g);
  }
  const served: Record<string, number> = {};
  for (const c of inWindow)
    if (c.at <= until && OK.has(c.status)) served[c.kind] = (served[c.kind] ?? 0) + 1;
  const ends = failed.map((c) => c.at + c.ms);
  return {
    failed: [...groups.values()].sort((x, y) => y.count - x.count),
    failingForMs: failed.length
      ? Math.round(Math.max(...ends) - Math.min(...failed.map((c) => c.at)))
      : 0,
    servedDuring: served,
    socketCloseMaxMs: Math.round(Math.max(0, ...closes)),
  };
}

/** The steps of the run over `cluster` and `w`. */
export function faultSteps(cluster: OwnCluster, w: Workload, outageMs: number) {
  let admin: string | undefined;
  const adminToken = async (): Promise<string | undefined> => {
    for (const n of w.inService()) {
      const r = await n.call('POST', '/api/public/auth/login', {
        body: { username: 'admin', password: ADMIN_PASSWORD },
      });
      if (r.status === 200) return (admin = (r.data.data as { access_token: string }).access_token);
    }
    return undefined;
  };
  const onlineOn = async (n: FaultNode): Promise<string[] | undefined> => {
    admin ??= await adminToken();
    let r = await n.call('GET', '/api/auth/online', { token: admin });
    if (r.status === 401)
      r = await n.call('GET', '/api/auth/online', { token: await adminToken() });
    if (r.status !== 200) return undefined;
    return (r.data.data.users as { user_id: string }[]).map((u) => u.user_id).sort();
  };

  /** (e): the workload held, the lists of every node equal the users with an open socket. */
  const converge = async (since: number): Promise<number | null> => {
    await w.pause();
    try {
      await waitFor(() => w.endedStillOpen() === 0, 5_000, 50);
      const want = [...w.expectedOnline()].sort();
      let last: Record<string, string[] | undefined> = {};
      const ok = await waitFor(
        async () => {
          last = {};
          for (const n of w.inService()) last[n.name] = await onlineOn(n);
          return Object.values(last).every((l) => JSON.stringify(l) === JSON.stringify(want));
        },
        CONVERGE_BOUND_MS,
        200,
      );
      if (!ok) {
        w.violate(
          'e',
          `online lists after ${CONVERGE_BOUND_MS} ms: want ${JSON.stringify(want)}, got ${JSON.stringify(last)}`,
        );
        return null;
      }
      return Math.round(w.now() - since);
    } finally {
      w.resume();
    }
  };

  /** The ended sessions on `nodes`, right now; accepted ones are violations (a). */
  const sweep = async (nodes: readonly FaultNode[]) => {
    const before = w.violations.filter((v) => v.invariant === 'a').length;
    const checks = await w.sweepEnded(nodes);
    return { checks, accepted: w.violations.filter((v) => v.invariant === 'a').length - before };
  };

  /** ms from `since` until every node is ready; null (and why, in `notReady`) if not within 20 s. */
  const readyAfter = async (since: number, notReady: string[]) => {
    if (await waitFor(() => cluster.allReady(2000), 20_000, 50)) return Math.round(w.now() - since);
    for (const n of cluster.nodes) {
      const r = await n.call('GET', '/readyz', { timeoutMs: 3000 });
      if (r.status === 200) continue;
      const warns = n
        .lines()
        .filter((l) => (l.level ?? 0) >= 40)
        .slice(-5)
        .map((l) => JSON.stringify(l).slice(0, 400));
      notReady.push(
        `${n.name} (alive ${n.alive}): /readyz ${r.status} ${JSON.stringify(r.data)} ${r.failure ?? ''}; last warnings: ${warns.join(' | ')}`,
      );
    }
    if (notReady.length) notReady.push(...(await pgActivity(cluster)));
    return null;
  };

  /** Fault, outage, restart, ready, sweep, settle, converge, summary: one record. */
  const dependency = async (
    fault: 'redis' | 'postgres',
    down: () => Promise<void>,
    up: () => Promise<void>,
  ): Promise<FaultRecord> => {
    const from = w.now();
    await down();
    await sleep(outageMs);
    const restartAt = w.now();
    await up();
    const notReady: string[] = [];
    const readyAfterMs = await readyAfter(restartAt, notReady);
    // Every ended session refused again right away, while the lists converge.
    const [s, converged] = await Promise.all([sweep(w.inService()), converge(restartAt)]);
    await databaseChecks(cluster, w);
    return {
      fault,
      downMs: Math.round(restartAt - from),
      readyAfterMs,
      ...summarise(w, from, restartAt, w.now()),
      sweep: s,
      onlineConvergedMs: converged,
      ...(notReady.length ? { notReady } : {}),
    };
  };

  return {
    redis: () =>
      dependency(
        'redis',
        () => cluster.redis.kill(),
        () => cluster.redis.start(),
      ),
    postgres: () =>
      dependency(
        'postgres',
        () => cluster.pg!.stop('fast'),
        () => cluster.pg!.start(),
      ),

    /** `victim` SIGKILLed while a burst of logins is in flight on it, then restarted. */
    async node(victim: FaultNode, users: readonly string[]): Promise<FaultRecord> {
      w.killed.add(victim.name);
      const from = w.now();
      // Logins sent one every 5 ms; the first answer fires the SIGKILL, so the others are in flight.
      const burst: ReturnType<Workload['login']>[] = [];
      let killing: Promise<void> | undefined;
      for (const u of users.flatMap((x) => [x, x, x])) {
        if (killing) break;
        burst.push(w.login('login', victim, u).finally(() => (killing ??= victim.kill())));
        await sleep(5);
      }
      await waitFor(() => killing, 5_000, 2);
      await (killing ?? victim.kill());
      const down = w.now();
      const sessions = await Promise.all(burst);
      const onVictim = w.calls.filter(
        (c) => c.kind === 'login' && c.node === victim.name && c.at >= from,
      );
      w.out.add(victim);
      await sleep(Math.max(0, outageMs - (w.now() - down)));
      const restartAt = w.now();
      await victim.start();
      const readyAfterMs = Math.round(w.now() - restartAt);
      w.killed.delete(victim.name);
      // Its first requests: every ended session, before the node takes any workload.
      const s = await sweep([victim]);
      w.out.delete(victim);
      // Logins it answered before dying are live sessions anywhere: they end like any other.
      let endedAfter = 0;
      const refusals: string[] = [];
      for (const x of sessions) {
        if (!x) continue;
        const e = await w.end(x);
        if (e.ok) endedAfter++;
        else refusals.push(`session ${x.sid}: ${e.last ?? 'no node in service'}`);
      }
      const converged = await converge(restartAt);
      await databaseChecks(cluster, w);
      return {
        fault: 'node',
        node: victim.name,
        downMs: Math.round(restartAt - down),
        readyAfterMs,
        ...summarise(w, from, restartAt, w.now()),
        sweep: s,
        onlineConvergedMs: converged,
        burst: {
          sent: burst.length,
          ok: sessions.filter(Boolean).length,
          noAnswer: onVictim.filter((c) => c.status === 0).length,
          other: onVictim.filter((c) => c.status !== 0 && c.status !== 200).length,
          endedAfter,
          ...(refusals.length ? { refusals } : {}),
        },
      };
    },

    converge,
    sweep,
  };
}

/** What PostgreSQL's backends are doing (diagnostics: a stuck transaction holds a node's pool). */
async function pgActivity(cluster: OwnCluster): Promise<string[]> {
  const c = new pg.Client({ connectionString: cluster.pg!.url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    const r = await c.query<Record<string, unknown>>(
      `select client_port, state, wait_event_type, wait_event,
              extract(epoch from now() - xact_start)::int as xact_s, left(query, 120) as query
         from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()
        order by xact_start nulls last`,
    );
    return [`pg_stat_activity: ${JSON.stringify(r.rows)}`];
  } catch (e) {
    return [`pg_stat_activity: ${(e as Error).message}`];
  } finally {
    await c.end().catch(() => {});
  }
}

/** (b) and (c) in the database (after each fault and at the end); every deviation becomes a violation. */
export async function databaseChecks(cluster: OwnCluster, w: Workload): Promise<void> {
  const c = new pg.Client({ connectionString: cluster.pg!.url });
  await c.connect();
  try {
    const schema = cluster.schema;
    const two = await c.query<{ session_id: string; n: string }>(
      `select r.session_id, count(*) as n from "${schema}".refresh_tokens r
         join "${schema}".sessions s on s.id = r.session_id
        where r.used_at is null and s.ended_at is null and r.expires_at > $1
        group by r.session_id having count(*) > 1`,
      [Date.now()],
    );
    for (const row of two.rows)
      w.violate('b', `live session ${row.session_id} holds ${row.n} unused refresh tokens`);
    const sids = [...w.audit.keys()];
    let missing: string[] = [];
    await waitFor(
      async () => {
        const rows = (
          await c.query<{ session_id: string; event: string; outcome: string; n: string }>(
            `select session_id, event, outcome, count(*) as n from "${schema}".audit_events
              where session_id = any($1::text[]) group by session_id, event, outcome`,
            [sids],
          )
        ).rows;
        const have = new Map<string, number>();
        for (const r of rows) {
          // A refresh promises a success row; the other events count whatever their outcome.
          if (r.event === 'refresh' && r.outcome !== 'success') continue;
          const k = `${r.session_id}|${r.event}`;
          have.set(k, (have.get(k) ?? 0) + Number(r.n));
        }
        missing = [];
        for (const [sid, events] of w.audit)
          for (const [event, n] of events) {
            const got = have.get(`${sid}|${event}`) ?? 0;
            if (got < n) missing.push(`${event} of session ${sid}: ${got} of ${n}`);
          }
        return missing.length === 0;
      },
      // A node's audit sink that failed during the PostgreSQL restart retries after up to 5 s
      // (MAX_BACKOFF_MS in audit/sql-sink.ts), then writes its buffer: waiting only 5 s raced that
      // retry on a loaded machine. Rows still missing after two backoffs and a flush are lost.
      15_000,
      250,
    );
    for (const m of missing) w.violate('c', `audit row missing: ${m}`);
  } finally {
    await c.end();
  }
}

/** The fault table, as printed by the script and the test. */
export function faultTable(records: FaultRecord[]): string {
  const fmtFailed = (r: FaultRecord) =>
    r.failed
      .map((f) => `${f.kind} ${f.status || 'no answer'}${f.status ? ` ${f.code}` : ''} ×${f.count}`)
      .join(', ') || 'none';
  const fmtServed = (r: FaultRecord) =>
    Object.entries(r.servedDuring)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'nothing';
  const head = [
    'Fault',
    'Down ms',
    'Failed calls (kind status code ×count)',
    'Failing for ms',
    'Answered 2xx during the fault',
    'Ready after restart ms',
    'Slowest socket close ms',
    'Online lists agree after ms',
    'Ended sessions re-checked (accepted)',
  ];
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [
    row(head),
    row(head.map(() => '---')),
    ...records.map((r) =>
      row([
        `${r.fault}${r.node ? ` ${r.node}` : ''}`,
        r.downMs,
        fmtFailed(r),
        r.failingForMs,
        fmtServed(r),
        r.readyAfterMs ?? 'not within 20 s',
        r.socketCloseMaxMs,
        r.onlineConvergedMs ?? 'no',
        `${r.sweep.checks} (${r.sweep.accepted})`,
      ]),
    ),
  ].join('\n');
}
