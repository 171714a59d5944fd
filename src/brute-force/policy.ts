import type { Audit } from '../audit/audit.js';
import type { Alerts } from '../alerts/service.js';
import type { TenantId } from '../db/scope.js';
import {
  countedAccount,
  type CaptchaCheck,
  type LoginAttempt,
  type LoginGuard,
} from '../login/guard.js';
import { rateLimited } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { CounterStore } from '../counters/store.js';
import { accountHash, ipKey } from '../rate-limit/ip-key.js';

const HOUR = 3_600_000;
/** Consecutive failures are forgotten after a day without a new one. */
const FAILURE_MEMORY_MS = 24 * HOUR;
/** An admin unlock voids (account, IP) locks set before it; kept as long as the longest lock. */
const UNLOCK_MEMORY_MS = 30 * 24 * HOUR;
/**
 * Credential stuffing: one IP failing on this many distinct accounts within
 * a (fixed) hour raises an alert, and every login from that IP needs a
 * captcha for the rest of the hour. Per-account counters never see stuffing
 * (each account is tried once or twice), so this is the IP-side defence.
 */
const STUFFING_ACCOUNTS_PER_HOUR = 10;

export interface PolicySettings {
  captchaAfterFailures: number;
  lockAfterFailures: number;
  lockSeconds: number;
  lockoutMode: string;
  loginAttemptsPerIpPerHour: number;
}

/**
 * Thresholds while the brute-force counters are per node (Redis down): each
 * node counts only what it sees, so an attacker spread over nodes gets more
 * tries; halving every threshold keeps a two-node cluster at the budget
 * it has with Redis (docs/reliability.md). 0 (captcha always) stays 0.
 */
export function degradedPolicy(s: PolicySettings): PolicySettings {
  const half = (n: number) => Math.max(1, Math.ceil(n / 2));
  return {
    ...s,
    captchaAfterFailures: Math.floor(s.captchaAfterFailures / 2),
    lockAfterFailures: half(s.lockAfterFailures),
    loginAttemptsPerIpPerHour: half(s.loginAttemptsPerIpPerHour),
  };
}

export interface BruteForcePolicyDeps {
  store: CounterStore;
  /** Read at every attempt: the thresholds are dynamic settings, the attempt's tenant's. */
  settings: (tenant?: TenantId) => PolicySettings | Promise<PolicySettings>;
  clock: Clock;
  captcha: CaptchaCheck;
  audit: Audit;
  alerts: Alerts;
}

export interface BruteForcePolicy extends LoginGuard {
  /** Admin unlock: clears the account's failures and locks for each of its login names. */
  unlock(accountKeys: string[], tenant?: TenantId): Promise<void>;
}

/**
 * Seed 004's brute-force rules around the password check. Counters are keyed
 * by the account name as typed (hashed), never by whether the user exists, so
 * an unknown name is counted, captcha'd and locked exactly like a real one:
 * the answers say nothing about existence.
 *
 *  1. at most `loginAttemptsPerIpPerHour` attempts per IP (sliding hour) → 429;
 *  2. a locked account (mode `account`) or (account, IP) pair (mode
 *     `account_ip`) → 423 ACCOUNT_LOCKED, even with the right password;
 *  3. `captchaAfterFailures` consecutive failures of the account (any IP), or
 *     a stuffing IP → CAPTCHA_REQUIRED until a valid solution comes along;
 *  4. `lockAfterFailures` failures → lock for `lockSeconds`;
 *  5. a success clears the account's count (and the pair's).
 */
export function createBruteForcePolicy(d: BruteForcePolicyDeps): BruteForcePolicy {
  const { store, clock } = d;

  async function lockedUntil(acct: string, ip: string, mode: string, now: number): Promise<number> {
    const lock = await store.peek(mode === 'account' ? `la:${acct}` : `lp:${acct}:${ip}`, now);
    if (!lock) return 0;
    const unlocked = await store.peek(`ua:${acct}`, now);
    return unlocked && unlocked.value >= lock.value ? 0 : lock.expiresAt;
  }

  async function lock(
    a: LoginAttempt,
    key: string,
    acct: string,
    failures: number,
    s: PolicySettings,
    now: number,
  ): Promise<void> {
    const until = now + s.lockSeconds * 1000;
    await store.put(key, now, until, now);
    const facts = {
      tenant: a.tenant,
      userId: a.userId ?? null,
      username: a.accountKey.slice(0, 64),
      ip: a.ip,
      userAgent: a.userAgent ?? null,
      deviceId: a.deviceId ?? null,
    };
    const data = {
      mode: s.lockoutMode,
      failures,
      until: new Date(until).toISOString(),
      account: acct,
    };
    d.audit.record({
      ...facts,
      event: 'account.lock',
      outcome: 'info',
      reason: 'too_many_failures',
      data,
    });
    d.alerts.raise({ ...facts, kind: 'account_locked', data });
  }

  return {
    async before(a) {
      const s = await d.settings(a.tenant);
      const now = clock.now();
      const ip = ipKey(a.ip);
      const acct = accountHash(countedAccount(a.tenant, a.accountKey));
      const r = await store.admit(`ip:${ip}`, s.loginAttemptsPerIpPerHour, HOUR, now);
      if (!r.admitted) rateLimited(r.retryAfterMs);
      const until = await lockedUntil(acct, ip, s.lockoutMode, now);
      if (until > now) rateLimited(until - now, 'ACCOUNT_LOCKED');
      const failures = (await store.peek(`fa:${acct}`, now))?.value ?? 0;
      const stuffing =
        failures < s.captchaAfterFailures &&
        (await store.countDistinct(`di:${ip}`, HOUR, now)) >= STUFFING_ACCOUNTS_PER_HOUR;
      if (failures >= s.captchaAfterFailures || stuffing)
        await d.captcha.require(a.captcha, 'login', a);
    },

    async failed(a) {
      const s = await d.settings(a.tenant);
      const now = clock.now();
      const ip = ipKey(a.ip);
      const acct = accountHash(countedAccount(a.tenant, a.accountKey));
      const [failures, accounts] = await Promise.all([
        store.incr(`fa:${acct}`, FAILURE_MEMORY_MS, now),
        store.addDistinct(`di:${ip}`, acct, HOUR, now),
      ]);
      if (
        accounts >= STUFFING_ACCOUNTS_PER_HOUR &&
        (await store.claim(`as:${ip}:${Math.floor(now / HOUR)}`, HOUR, now))
      ) {
        d.alerts.raise({
          kind: 'credential_stuffing',
          ip: a.ip,
          userAgent: a.userAgent ?? null,
          data: { distinct_accounts: accounts, window: 'PT1H' },
        });
      }
      if (s.lockoutMode === 'account') {
        if (failures < s.lockAfterFailures) return;
        await lock(a, `la:${acct}`, acct, failures, s, now);
        // The count restarts at the captcha threshold: still captcha'd, and
        // another lock takes (lock - captcha) more failures, not one.
        await store.put(
          `fa:${acct}`,
          Math.min(s.captchaAfterFailures, s.lockAfterFailures - 1),
          now + FAILURE_MEMORY_MS,
          now,
        );
        return;
      }
      const pair = await store.incr(`fp:${acct}:${ip}`, FAILURE_MEMORY_MS, now);
      if (pair < s.lockAfterFailures) return;
      await lock(a, `lp:${acct}:${ip}`, acct, pair, s, now);
      await store.del(`fp:${acct}:${ip}`);
    },

    async succeeded(a) {
      const acct = accountHash(countedAccount(a.tenant, a.accountKey));
      await store.del(`fa:${acct}`, `fp:${acct}:${ipKey(a.ip)}`);
    },

    async unlock(accountKeys, tenant) {
      const now = clock.now();
      for (const key of accountKeys) {
        const acct = accountHash(countedAccount(tenant, key));
        await store.del(`fa:${acct}`, `la:${acct}`);
        // (account, IP) locks are keyed by IP; rather than scanning for them, the marker voids every older one.
        await store.put(`ua:${acct}`, now, now + UNLOCK_MEMORY_MS, now);
      }
    },
  };
}
