/**
 * The cluster the two-node fault tests stand on: two `node dist/main.js` nodes,
 * A and B, on OUR OWN PostgreSQL and Redis (an OwnCluster of
 * src/test-support/faults/cluster.ts: free ports, one schema, one key prefix),
 * started once per describe block and removed after it, and the calls the
 * tests make to them. Every logout that answered 200 is kept in `loggedOut`
 * for the contract checks (contract.test-support.ts).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { OwnCluster } from '../test-support/faults/cluster.js';
import type { Answer, FaultNode } from '../test-support/faults/fault-node.js';
import type { OwnPostgres } from '../test-support/faults/own-postgres.js';
import type { OwnRedis } from '../test-support/faults/own-redis.js';
import { sleep } from '../test-support/faults/shared.js';

const PW = 'a-strong-passphrase';
/** How long each dependency stays down. */
export const OUTAGE_MS = 5_000;
/** The deadline of the calls made during an outage: longer than every limit asserted, so a slow answer is measured, not cut off. */
const CALL_TIMEOUT_MS = 4_000;

export interface Tokens {
  access_token: string;
  refresh_token: string;
}
export interface LoggedOut {
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

/** The nodes, their dependencies and the calls of the fault tests (see the file comment). */
export interface FaultCluster {
  readonly a: FaultNode;
  readonly b: FaultNode;
  readonly redis: OwnRedis;
  readonly pgsrv: OwnPostgres | undefined;
  readonly schema: string;
  /** Every logout that answered 200, in the whole file. */
  readonly loggedOut: LoggedOut[];
  register(username: string): Promise<void>;
  /** Login with every dependency up: must work (harness precondition, hard assertion). */
  login(n: FaultNode, username: string): Promise<Tokens>;
  loginCall(n: FaultNode, username: string, timeoutMs?: number): Promise<Answer>;
  refreshCall(n: FaultNode, refresh: string): Promise<Answer>;
  /** Logout; a 200 enters `loggedOut` (audit and revocation checks). */
  logout(n: FaultNode, token: string, label: string): Promise<Answer>;
  me(n: FaultNode, token: string): Promise<Answer>;
  /** ms until `n` answers /me with 401 SESSION_ENDED, or undefined if it did not within `limitMs`. */
  refusedWithin(n: FaultNode, token: string, limitMs: number): Promise<number | undefined>;
  /** Each test starts with both dependencies and both nodes up, whatever an earlier test left. */
  ensureUp(): Promise<void>;
  report(name: string, record: Record<string, unknown>): void;
}

/** Starts the cluster before the tests of the enclosing describe block and removes it after them. */
export function useFaultCluster(): FaultCluster {
  const schema = 'tessera_faults';
  const cluster = new OwnCluster({ nodes: 2, schema, prefix: 'faults:' });
  const redis = cluster.redis;
  let a!: FaultNode;
  let b!: FaultNode;
  /** Every logout that answered 200, in the whole file. */
  const loggedOut: LoggedOut[] = [];

  beforeAll(async () => {
    await cluster.start();
    [a, b] = cluster.nodes as [FaultNode, FaultNode];
  }, 180_000);

  afterAll(() => cluster.destroy(), 60_000);

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
  /** Each test starts with both dependencies and both nodes up, whatever an earlier test left. */
  const ensureUp = async () => {
    const ready = await cluster.ensureUp((n) =>
      console.warn(
        `[fault suite] node ${n.name} had exited (${JSON.stringify(n.exit)}); restarting it. Its last output:\n${n.tail(3000)}`,
      ),
    );
    expect(ready, 'both nodes ready before the test').toBe(true);
  };
  const report = (name: string, record: Record<string, unknown>) =>
    console.log(`[fault record] ${name} ${JSON.stringify(record)}`);

  return {
    get a() {
      return a;
    },
    get b() {
      return b;
    },
    redis,
    get pgsrv() {
      return cluster.pg;
    },
    schema,
    loggedOut,
    register,
    login,
    loginCall,
    refreshCall,
    logout,
    me,
    refusedWithin,
    ensureUp,
    report,
  };
}
