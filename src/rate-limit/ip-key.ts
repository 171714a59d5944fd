import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The unit an IP-based limit counts. IPv4: the address. IPv6: its /64,
 * because one subscriber routinely holds a whole /64 (RFC 6177) and could
 * otherwise rotate through 2^64 addresses to dodge every per-IP limit.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as the IPv4 address.
 */
export function ipKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return `?${ip.slice(0, 64)}`;
  return `${expandV6(ip).slice(0, 4).join(':')}::/64`;
}

function expandV6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::') as [string?, string?];
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

/** Account names as counter keys: hashed, so Redis never holds usernames or e-mail addresses. */
export function accountHash(accountKey: string): string {
  return createHash('sha256').update(`acct\0${accountKey}`).digest('base64url').slice(0, 22);
}
