import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../audit/audit.js';
import { isTesseraError } from '../lib/errors.js';
import { ManualClock } from '../lib/clock.js';
import { createMemoryCounters } from '../counters/memory.js';
import { createBruteForcePolicy, type PolicySettings } from './policy.js';

function setup(over: Partial<PolicySettings> = {}) {
  const clock = new ManualClock();
  const settings: PolicySettings = {
    captchaAfterFailures: 3,
    lockAfterFailures: 5,
    lockSeconds: 60,
    lockoutMode: 'account',
    loginAttemptsPerIpPerHour: 1000,
    ...over,
  };
  const audit: AuditEntry[] = [];
  const captchas: string[] = [];
  const policy = createBruteForcePolicy({
    store: createMemoryCounters(),
    settings: () => settings,
    clock,
    captcha: { require: async (s) => void captchas.push(s ?? '') },
    audit: {
      record: (e) => void audit.push(e),
      write: async (_u, e) => void audit.push(e),
      flush: async () => {},
    },
    alerts: { raise: () => {} },
  });
  const code = async (accountKey: string, ip = '192.0.2.1') =>
    policy.before({ accountKey, ip, captcha: 'ok' }).then(
      () => 'pass',
      (e: unknown) => (isTesseraError(e) ? e.code : String(e)),
    );
  return { clock, settings, policy, audit, captchas, code };
}

describe('login policy', () => {
  it('reads its settings at every attempt (dynamic)', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await s.policy.failed({ accountKey: 'a', ip: '192.0.2.1' });
    expect(await s.code('a')).toBe('ACCOUNT_LOCKED');
    s.settings.lockoutMode = 'account_ip';
    expect(await s.code('a')).toBe('pass');
  });

  it('after a lock (account mode) the count restarts at the captcha threshold', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await s.policy.failed({ accountKey: 'a', ip: '192.0.2.1' });
    s.clock.advance(60_000);
    s.captchas.length = 0;
    expect(await s.code('a')).toBe('pass');
    expect(s.captchas).toHaveLength(1); // still captcha'd
    await s.policy.failed({ accountKey: 'a', ip: '192.0.2.1' });
    expect(await s.code('a')).toBe('pass');
    await s.policy.failed({ accountKey: 'a', ip: '192.0.2.1' });
    expect(await s.code('a')).toBe('ACCOUNT_LOCKED'); // 5 - 3 = 2 more failures
    expect(s.audit.filter((e) => e.event === 'account.lock')).toHaveLength(2);
  });

  it('an unlock voids pair locks on every IP without scanning', async () => {
    const s = setup({ lockoutMode: 'account_ip' });
    for (const ip of ['192.0.2.1', '192.0.2.2'])
      for (let i = 0; i < 5; i++) await s.policy.failed({ accountKey: 'a', ip });
    expect([
      await s.code('a', '192.0.2.1'),
      await s.code('a', '192.0.2.2'),
      await s.code('a', '192.0.2.3'),
    ]).toEqual(['ACCOUNT_LOCKED', 'ACCOUNT_LOCKED', 'pass']);
    s.clock.advance(1);
    await s.policy.unlock(['a']);
    expect([await s.code('a', '192.0.2.1'), await s.code('a', '192.0.2.2')]).toEqual([
      'pass',
      'pass',
    ]);
    // A later lock is a real lock again.
    s.clock.advance(1);
    for (let i = 0; i < 5; i++) await s.policy.failed({ accountKey: 'a', ip: '192.0.2.1' });
    expect(await s.code('a', '192.0.2.1')).toBe('ACCOUNT_LOCKED');
  });

  it('IPv6 addresses of one /64 share a budget', async () => {
    const s = setup({ loginAttemptsPerIpPerHour: 2 });
    expect(await s.code('a', '2001:db8:1:2::1')).toBe('pass');
    expect(await s.code('b', '2001:db8:1:2::ffff')).toBe('pass');
    expect(await s.code('c', '2001:db8:1:2:abcd::9')).toBe('RATE_LIMITED');
    expect(await s.code('c', '2001:db8:1:3::1')).toBe('pass');
  });
});
