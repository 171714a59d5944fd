/**
 * Redis Sentinel failover under load (issue 12 item 6, decision 0013): two
 * `node dist/main.js` nodes on OUR OWN PostgreSQL and a Sentinel group of our
 * own (a primary, one replica, three Sentinels on loopback ports;
 * own-sentinel.ts), reaching Redis through TESSERA_REDIS_SENTINELS. A mixed
 * workload (logins, encrypted logins through one-time keys in Redis,
 * refreshes, logouts, validations of logged-out tokens on the other node)
 * runs while the primary is killed (SIGKILL) and the Sentinels promote the
 * replica.
 *
 * The contract:
 *  - no token whose logout answered 200 is accepted by either node from 1 s
 *    after that answer on (checked all the time and once more at the end);
 *  - no refresh rotation lost: a refresh that answered 200 gave a refresh
 *    token that works next, and no session ever has two unused refresh
 *    tokens (SQL);
 *  - every answer that is not a success is 503 UNAVAILABLE in the envelope
 *    with Retry-After: never a 500, a hang or a dropped connection;
 *  - after the promotion, the Redis-backed requests work again on both nodes
 *    within RECOVERY_BOUND_MS, both subscribers are on the new primary, and
 *    each node logged the outage once each way.
 * The measured figures are printed as one `[fault record]` line
 * (docs/reliability.md, "Redis Sentinel failover").
 *
 * Run: CI=true npx vitest run src/reliability/sentinel-failover.test.ts
 */
import { constants, publicEncrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFreshBuild } from '../test-support/faults/build.js';
import { type Answer, FaultNode } from '../test-support/faults/fault-node.js';
import { OwnPostgres } from '../test-support/faults/own-postgres.js';
import { OwnSentinelGroup, SENTINEL_GROUP } from '../test-support/faults/own-sentinel.js';
import { sleep, waitFor } from '../test-support/faults/shared.js';
import { haveFaultTools, missingFaultTools } from '../test-support/faults/tools.js';
import { ms } from './contract.test-support.js';

const PW = 'a-strong-passphrase';
const WORKERS = 6;
/** Long-lived refresh chains, rotated all through the failover and never logged out. */
const CHAINS = 4;
/** Workload before the kill, and after recovery. */
const WARM_MS = 2_500;
const TAIL_MS = 2_500;
/** From the promotion to Redis-backed requests answering on both nodes. */
const RECOVERY_BOUND_MS = 5_000;
/** From the kill to the promotion: Sentinel's down-after (1 s) plus its election. */
const PROMOTION_BOUND_MS = 15_000;
const CALL_TIMEOUT_MS = 4_000;

interface Revoked {
  token: string;
  answeredAt: number;
  label: string;
}

const claims = (t: string) =>
  JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: string };

describe.skipIf(!haveFaultTools())(
  'Redis Sentinel failover: two nodes follow the promoted replica',
  () => {
    const group = new OwnSentinelGroup();
    const pgsrv = new OwnPostgres();
    const schema = 'tessera_sentinel';
    const prefix = 'sentinel:';
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sentinel-'));
    let a!: FaultNode;
    let b!: FaultNode;

    beforeAll(async () => {
      const missing = missingFaultTools();
      if (missing.length) throw new Error(`Sentinel failover test: missing ${missing.join(', ')}`);
      ensureFreshBuild();
      await Promise.all([pgsrv.start(), group.start()]);
      const env = {
        TESSERA_HOST: '127.0.0.1',
        TESSERA_DATABASE_URL: pgsrv.url,
        TESSERA_DATABASE_SCHEMA: schema,
        TESSERA_REDIS_SENTINELS: group.sentinelList,
        TESSERA_REDIS_SENTINEL_NAME: SENTINEL_GROUP,
        TESSERA_REDIS_PREFIX: prefix,
        TESSERA_ADMIN_PASSWORD: 'sentinel-suite-admin-pw-1',
        TESSERA_LOG_LEVEL: 'info',
        TESSERA_DATA_DIR: dataDir,
        // Many logins and key requests from 127.0.0.1: keep the budgets out of the way.
        TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '100000',
        TESSERA_RSA_KEY_REQUESTS_PER_IP_PER_MINUTE: '100000',
        TESSERA_MAX_SESSIONS_PER_USER: '1000',
        // DEBUG=ioredis:* shows the connection's steps through the failover.
        ...(process.env.DEBUG ? { DEBUG: process.env.DEBUG } : {}),
      };
      a = new FaultNode(env, 'A');
      b = new FaultNode(env, 'B');
      await a.start(); // first: migrates and creates the admin
      await b.start();
    }, 180_000);

    afterAll(async () => {
      const steps: (() => Promise<unknown>)[] = [
        async () => Promise.all([a?.stop(), b?.stop()]),
        () => group.destroy(),
        () => pgsrv.destroy(),
        async () => rmSync(dataDir, { recursive: true, force: true }),
      ];
      for (const s of steps)
        await s().catch((e: unknown) =>
          console.warn(`sentinel suite cleanup: ${(e as Error).message}`),
        );
    }, 60_000);

    it('the primary killed under load: nothing revoked accepted, no rotation lost, only 503 while it lasts, recovered after the promotion', async () => {
      const nodes = [a, b] as const;
      const pick = () => nodes[Math.floor(Math.random() * 2)]!;
      const other = (n: FaultNode) => (n === a ? b : a);
      /** Every answer of the workload that is neither what the step expects nor a proper 503. */
      const bad: string[] = [];
      /** When (ms since the kill) each 503 answered, per route. */
      const unavailable: { at: number; what: string }[] = [];
      const revoked: Revoked[] = [];
      const acceptedRevoked: string[] = [];
      const lostRotations: string[] = [];
      let tKill = Number.POSITIVE_INFINITY;
      let stop = false;

      /** Files an answer: true for a success; a 503 must be the envelope with Retry-After. */
      const judge = (what: string, r: Answer, ok: readonly number[] = [200]): boolean => {
        if (ok.includes(r.status)) return true;
        if (
          r.status === 503 &&
          r.data?.error === 'UNAVAILABLE' &&
          r.data?.code === 503 &&
          typeof r.data?.message === 'string' &&
          r.headers?.get('retry-after')
        ) {
          const at = performance.now() - tKill;
          // Before the kill nothing is down: a 503 then is a fault of its own.
          if (at >= 0) {
            unavailable.push({ at, what });
            return false;
          }
        }
        bad.push(
          `${what}: ${r.status}${r.failure ? ` (${r.failure})` : ''} ${JSON.stringify(r.data)}`,
        );
        return false;
      };
      const call = (n: FaultNode, method: string, path: string, body?: unknown, token?: string) =>
        n.call(method, path, {
          timeoutMs: CALL_TIMEOUT_MS,
          ...(body !== undefined ? { body } : {}),
          ...(token ? { token } : {}),
        });
      /** Retries `fn` while it answers 503 (the failover), at most `tries` times. */
      const retry503 = async (fn: () => Promise<Answer>, tries = 40): Promise<Answer> => {
        let r = await fn();
        for (let i = 1; i < tries && r.status === 503 && !stop; i++) {
          await sleep(100);
          r = await fn();
        }
        return r;
      };

      for (let i = 0; i < WORKERS + CHAINS; i++) {
        const r = await call(a, 'POST', '/api/public/auth/register', {
          username: `ha${i}`,
          email: `ha${i}@example.com`,
          password: PW,
        });
        expect(r.status, `register ha${i}: ${JSON.stringify(r.data)}`).toBe(201);
      }

      // One worker: log in (plain, or encrypted with a one-time key from Redis),
      // check the token on the other node, refresh it twice, log out.
      const worker = async (w: number) => {
        const username = `ha${w}`;
        for (let round = 0; !stop; round++) {
          const n = pick();
          let login: Answer;
          // Two workers log in encrypted, one key every 250 ms at most: the
          // key pools (RSA generation) keep up, so a 503 is the failover's.
          if (w >= 2 || round % 2 === 0) {
            login = await call(n, 'POST', '/api/public/auth/login', { username, password: PW });
          } else {
            await sleep(250);
            const key = await call(n, 'GET', '/api/public/auth/public-key');
            if (!judge(`public-key on ${n.name}`, key)) {
              await sleep(50);
              continue;
            }
            const k = key.data.data as { key_id: string; public_key: string };
            const encryptedPassword = publicEncrypt(
              { key: k.public_key, padding: constants.RSA_PKCS1_PADDING },
              Buffer.from(PW),
            ).toString('base64');
            login = await call(n, 'POST', '/api/public/auth/login', {
              username,
              encryptedPassword,
              keyId: k.key_id,
            });
          }
          if (!judge(`login (${w < 2 && round % 2 ? 'encrypted' : 'plain'}) on ${n.name}`, login)) {
            await sleep(50);
            continue;
          }
          let tokens = login.data.data as { access_token: string; refresh_token: string };
          judge(
            `me on ${other(n).name}`,
            await call(other(n), 'GET', '/api/public/auth/me', undefined, tokens.access_token),
          );
          for (let i = 0; i < 2; i++) {
            const m = pick();
            const r = await retry503(() =>
              call(m, 'POST', '/api/public/auth/refresh', { refresh_token: tokens.refresh_token }),
            );
            if (r.status === 401) lostRotations.push(`worker ${w}: ${JSON.stringify(r.data)}`);
            if (!judge(`refresh on ${m.name}`, r)) break;
            tokens = r.data.data as typeof tokens;
          }
          const m = pick();
          const out = await retry503(() =>
            call(m, 'POST', '/api/public/auth/logout', undefined, tokens.access_token),
          );
          if (judge(`logout on ${m.name}`, out))
            revoked.push({
              token: tokens.access_token,
              answeredAt: performance.now(),
              label: `worker ${w} round ${round} on ${m.name}`,
            });
        }
      };

      // Long-lived chains: every refresh that answered 200 must leave a token that works next.
      const chains: { refresh: string; sid: string; rotations: number }[] = [];
      for (let c = 0; c < CHAINS; c++) {
        const r = await call(b, 'POST', '/api/public/auth/login', {
          username: `ha${WORKERS + c}`,
          password: PW,
        });
        expect(r.status).toBe(200);
        const t = r.data.data as { access_token: string; refresh_token: string };
        chains.push({ refresh: t.refresh_token, sid: claims(t.access_token).sid, rotations: 0 });
      }
      const rotator = async (c: (typeof chains)[number], i: number) => {
        while (!stop) {
          const n = pick();
          const r = await call(n, 'POST', '/api/public/auth/refresh', { refresh_token: c.refresh });
          if (r.status === 401) {
            lostRotations.push(
              `chain ${i} after ${c.rotations} rotations: ${JSON.stringify(r.data)}`,
            );
            return;
          }
          if (judge(`chain refresh on ${n.name}`, r)) {
            c.refresh = (r.data.data as { refresh_token: string }).refresh_token;
            c.rotations++;
          }
          await sleep(100);
        }
      };

      // Every logged-out token, once its answer is 1 s old, is refused on both nodes.
      const checkRevoked = async (final: boolean) => {
        const due = revoked.filter((t) => final || performance.now() - t.answeredAt >= 1000);
        for (const t of due)
          for (const n of nodes) {
            const r = await call(n, 'GET', '/api/public/auth/me', undefined, t.token);
            if (r.status === 200)
              acceptedRevoked.push(
                `${t.label} accepted by ${n.name} ${Math.round(performance.now() - t.answeredAt)} ms after its logout answered`,
              );
            else if (r.status !== 401) judge(`me (logged out) on ${n.name}`, r, [401]);
          }
      };
      const checker = async () => {
        while (!stop) {
          await checkRevoked(false);
          await sleep(200);
        }
      };

      const marks = new Map(nodes.map((n) => [n, n.mark()]));
      const running = [
        ...Array.from({ length: WORKERS }, (_, w) => worker(w)),
        ...chains.map((c, i) => rotator(c, i)),
        checker(),
      ];
      const record: Record<string, unknown> = {};
      try {
        await sleep(WARM_MS);
        const victim = await group.current();
        expect(victim, 'the Sentinels name the primary before the kill').toBe(group.primary);
        tKill = performance.now();
        await victim.kill();
        const promoted = await waitFor(
          async () =>
            (await group.masterPort()) === group.replica.port &&
            (await group.isMaster(group.replica)),
          PROMOTION_BOUND_MS,
          50,
        );
        const tPromoted = performance.now();
        record.promotedAfterKillMs = promoted ? ms(tPromoted - tKill) : 'not within bound';
        expect(promoted, 'the Sentinels promoted the replica').toBe(true);
        // Recovered: a one-time key (in Redis) is issued and used on both nodes.
        const last = new Map<FaultNode, string>();
        // Recovered: each node's command connection answers (/readyz pings
        // Redis) and it issues a one-time key (stored in Redis). Polled every
        // 200 ms: faster polling would drain the key pools (RSA generation).
        const ready = new Set<FaultNode>();
        const recovered = await waitFor(
          async () => {
            for (const n of nodes) {
              if (!ready.has(n)) {
                const z = await n.call('GET', '/readyz', { timeoutMs: 2000 });
                last.set(n, `readyz ${z.status} ${z.failure ?? ''} ${JSON.stringify(z.data)}`);
                if (z.status !== 200) return false;
                ready.add(n);
                if (ready.size === nodes.length)
                  record.readyAfterPromotionMs = ms(performance.now() - tPromoted);
              }
              const k = await n.call('GET', '/api/public/auth/public-key', { timeoutMs: 2000 });
              last.set(n, `public-key ${k.status} ${k.failure ?? ''} ${JSON.stringify(k.data)}`);
              if (k.status !== 200) return false;
            }
            return true;
          },
          RECOVERY_BOUND_MS + 5_000,
          200,
        );
        record.recoveredAfterPromotionMs = recovered
          ? ms(performance.now() - tPromoted)
          : 'not within bound';
        if (!recovered)
          for (const n of nodes)
            console.warn(
              `[sentinel suite] ${n.name} still answers ${last.get(n)}; its log since the kill:\n${n
                .rawLines(marks.get(n))
                .filter((l) => !l.includes('"msg":"request'))
                .slice(-80)
                .join('\n')}`,
            );
        expect(recovered, 'Redis-backed requests answer on both nodes after the promotion').toBe(
          true,
        );
        expect(
          performance.now() - tPromoted,
          'ms from the promotion to recovery',
        ).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
        await sleep(TAIL_MS);
      } finally {
        stop = true;
        await Promise.all(running);
      }
      await checkRevoked(true);

      // No rotation lost: each chain's last refresh token works (and, in SQL,
      // no session has two unused refresh tokens).
      for (const [i, c] of chains.entries()) {
        const r = await call(a, 'POST', '/api/public/auth/refresh', { refresh_token: c.refresh });
        expect
          .soft(r.status, `chain ${i}: its last refresh token works (${JSON.stringify(r.data)})`)
          .toBe(200);
      }
      const db = new pg.Client({ connectionString: pgsrv.url });
      await db.connect();
      try {
        const twoLive = (
          await db.query(
            `select session_id, count(*)::int as n from "${schema}".refresh_tokens where used_at is null group by session_id having count(*) > 1`,
          )
        ).rows;
        expect.soft(twoLive, 'sessions with two unused refresh tokens').toEqual([]);
      } finally {
        await db.end();
      }

      // Both subscribers are on the promoted server, and each node logged the outage once each way.
      const np = new Redis({ host: '127.0.0.1', port: group.replica.port, lazyConnect: true });
      np.on('error', () => {});
      await np.connect();
      const clients = String(await np.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((l) => / name=tessera:sub /.test(l) && !/ sub=0 /.test(l));
      np.disconnect();
      expect.soft(clients.length, 'subscriber connections on the promoted server').toBe(2);
      for (const n of nodes) {
        const lines = n.lines(marks.get(n));
        const down = lines.filter((l) => l.msg === 'dependency unavailable' && l.dep === 'redis');
        const up = lines.filter((l) => l.msg === 'dependency recovered' && l.dep === 'redis');
        expect.soft(down.length, `${n.name}: 'dependency unavailable' lines`).toBe(1);
        expect.soft(up.length, `${n.name}: 'dependency recovered' lines`).toBe(1);
        expect
          .soft(
            lines.filter((l) => l.msg === 'unhandled error'),
            `${n.name}: unhandled errors`,
          )
          .toEqual([]);
        record[`downMs${n.name}`] = up[0]?.down_ms;
      }

      const at = unavailable.map((u) => u.at);
      Object.assign(record, {
        revokedChecked: revoked.length,
        rotations: chains.reduce((s, c) => s + c.rotations, 0),
        answered503: unavailable.length,
        first503AfterKillMs: at.length ? ms(Math.min(...at)) : undefined,
        last503AfterKillMs: at.length ? ms(Math.max(...at)) : undefined,
        routes503: [...new Set(unavailable.map((u) => u.what.replace(/ on [AB]$/, '')))],
      });
      console.log(`[fault record] sentinel-failover ${JSON.stringify(record)}`);
      expect
        .soft(acceptedRevoked, 'logged-out tokens accepted 1 s or more after the logout answered')
        .toEqual([]);
      expect.soft(lostRotations, 'refreshes refused (a lost rotation)').toEqual([]);
      expect.soft(bad, 'answers that are neither success nor 503 UNAVAILABLE').toEqual([]);
      expect(revoked.length, 'logouts during the run').toBeGreaterThan(10);
    }, 150_000);
  },
);
