/**
 * The contract checks of the fault tests, over a FaultCluster
 * (cluster.test-support.ts):
 *  c. no node logs `unhandled error` during a fault; each node logs exactly one
 *     warn line `dependency unavailable` and one `dependency recovered`, with
 *     `dep` = 'redis' | 'postgres';
 *  d. every logout that answered 200 has its `logout` and `session.end` audit rows;
 *  e. no token whose logout answered 200 is accepted by /me on either node.
 * They are soft assertions or return what deviates, and `brief` shortens an
 * answer for the observation record each test prints.
 */
import pg from 'pg';
import { expect } from 'vitest';
import type { Answer, FaultNode } from '../test-support/faults/fault-node.js';
import { waitFor } from '../test-support/faults/shared.js';
import type { FaultCluster } from './cluster.test-support.js';

export const ms = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));

/** What a call answered, short, for the observation record. */
export function brief(r: Answer): Record<string, unknown> {
  return {
    status: r.status,
    error: r.data?.error,
    ms: ms(r.ms),
    ...(r.failure ? { failure: r.failure } : {}),
    ...(r.headers?.get('retry-after') ? { retryAfter: r.headers.get('retry-after') } : {}),
  };
}

/** The checks (c), (d) and (e) on the nodes of `cluster`, over every logout in its `loggedOut`. */
export function contractChecks(cluster: FaultCluster) {
  const { loggedOut, me, schema } = cluster;
  /** (e) Tokens whose logout answered 200 that a node still accepts. */
  const revokedAccepted = async () => {
    const accepted: string[] = [];
    for (const t of loggedOut) {
      for (const n of [cluster.a, cluster.b]) {
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
        const c = new pg.Client({
          connectionString: cluster.pgsrv!.url,
          connectionTimeoutMillis: 2000,
        });
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
    for (const n of [cluster.a, cluster.b]) {
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
    [cluster.a, cluster.b].every((n) => depLines(n, marks.get(n)!, dep).recovered.length > 0);
  /** After a fault of `dep`: logs (c), audit (d), revoked tokens (e), and both nodes still running. */
  const afterFault = async (
    dep: 'redis' | 'postgres',
    marks: Map<FaultNode, number>,
    record: Record<string, unknown>,
  ) => {
    const name = dep === 'redis' ? 'Redis' : 'PostgreSQL';
    checkLogs(dep, marks, record);
    const audit = await auditCheck(8_000);
    record.auditMissing = audit.missing;
    if (audit.missing.length) record.auditEventsOfThoseSessions = audit.seen;
    expect
      .soft(
        audit.missing,
        'audit rows missing for logouts that answered 200 (the one right before the fault included)',
      )
      .toEqual([]);
    const accepted = await revokedAccepted();
    record.revokedTokenAccepted = accepted.length;
    expect
      .soft(
        accepted.length,
        `revoked token accepted (after the ${name} fault): ${accepted.join('; ')}`,
      )
      .toBe(0);
    for (const n of [cluster.a, cluster.b]) {
      if (!n.alive) record[`exit${n.name}`] = { ...n.exit, lastOutput: n.tail(1500) };
      expect
        .soft(
          n.alive,
          `node ${n.name} still running (exit ${JSON.stringify(n.exit)}; last output: ${n.alive ? '' : n.tail(1500)})`,
        )
        .toBe(true);
    }
  };
  return { revokedAccepted, auditCheck, checkLogs, bothRecoveredLogged, afterFault };
}
