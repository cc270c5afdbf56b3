import { isIP } from 'node:net';
import { sha256Hash } from '@authz/oauth';

/**
 * The username as the brute-force counters and the events know it: Unicode NFKC, outer spaces dropped,
 * inner runs of spaces as one, lower case. The directory matches usernames the same way (LDAP
 * caseIgnoreMatch, RFC 4518), so `Alice`, ` alice ` and `ALICE` are one login name and share one counter.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().replace(/ +/g, ' ').toLowerCase();
}

/** sha256Hash of the normalized username: usernames are personal data, so keys and events carry this. */
export function usernameHashOf(username: string): string {
  return sha256Hash(normalizeUsername(username));
}

/**
 * A client IP in canonical form: IPv4 dotted quad; IPv6 fully expanded, lower case (an IPv4-mapped
 * IPv6 address is its IPv4 address). Null when the text is not an IP address.
 */
export function canonicalIp(ip: string): string | null {
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version !== 6) return null;
  const groups = expandIpv6(ip.toLowerCase().replace(/%.*$/, ''));
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return groups.map((group) => group.toString(16).padStart(4, '0')).join(':');
}

/**
 * What the per-IP counter counts: the IPv4 address, or the /64 prefix of an IPv6 address (one
 * subscriber usually holds a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function ipCounterSubject(canonical: string): string {
  return canonical.includes(':') ? `${canonical.split(':').slice(0, 4).join(':')}::/64` : canonical;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail included). */
function expandIpv6(ip: string): number[] {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
