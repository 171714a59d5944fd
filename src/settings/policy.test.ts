import { describe, expect, it } from 'vitest';
import { parseLoginPolicy } from '../config/login-policy.js';
import { formatLoginPolicy, policyFor } from './policy.js';
import { validateSetting } from './service.js';

describe('login policy parser', () => {
  it('parses per-type policies and adds the *=multi default', () => {
    const m = parseLoginPolicy(' kefu = single , guard=reject ');
    expect(typeof m).not.toBe('string');
    if (typeof m === 'string') return;
    expect([...m]).toEqual([
      ['kefu', 'single'],
      ['guard', 'reject'],
      ['*', 'multi'],
    ]);
    expect([policyFor(m, 'kefu'), policyFor(m, 'guard'), policyFor(m, 'user')]).toEqual([
      'single',
      'reject',
      'multi',
    ]);
    expect(formatLoginPolicy(m)).toBe('kefu=single,guard=reject,*=multi');
  });

  it('an explicit * wins over the default', () => {
    const m = parseLoginPolicy('*=single,vip=multi');
    if (typeof m === 'string') throw new Error(m);
    expect([policyFor(m, 'anyone'), policyFor(m, 'vip')]).toEqual(['single', 'multi']);
  });

  it.each(['kefu', 'kefu=sometimes', 'Kefu=single', 'a=b=c', '=single', 'kefu='])(
    'refuses %j with a message',
    (text) => {
      expect(typeof parseLoginPolicy(text)).toBe('string');
    },
  );
});

describe('validateSetting', () => {
  it.each([
    ['maxSessions', 5, true],
    ['maxSessions', 0, false],
    ['maxSessions', 1001, false],
    ['maxSessions', 1.5, false],
    ['maxSessions', '5', false],
    ['accessTokenTtl', 59, false],
    ['accessTokenTtl', 60, true],
    ['registerCaptcha', true, true],
    ['registerCaptcha', 'true', false],
    ['loginPolicy', 'kefu=single', true],
    ['loginPolicy', 'kefu=never', false],
    ['loginPolicy', 42, false],
  ] as const)('%s = %j → %s', (key, value, ok) => {
    expect(validateSetting(key, value).ok).toBe(ok);
  });
});
