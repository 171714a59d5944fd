import { describe, expect, it } from 'vitest';
import { accountHash, ipKey } from './ip-key.js';

describe('ipKey', () => {
  it('keeps IPv4, unwraps mapped IPv4, groups IPv6 by /64', () => {
    expect(ipKey('203.0.113.7')).toBe('203.0.113.7');
    expect(ipKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(ipKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(ipKey('::1')).toBe('0:0:0:0::/64');
  });
  it('hashes account names', () => {
    expect(accountHash('alice')).not.toContain('alice');
    expect(accountHash('alice')).toBe(accountHash('alice'));
  });
});
