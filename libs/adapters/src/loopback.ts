/**
 * Whether a URL's hostname names this machine: `localhost`, 127.0.0.0/8 or ::1 (WHATWG URL gives an IPv6
 * host in brackets, `[::1]`; the bare form is accepted too). Where plain-text transport (http:, ldap:) is
 * allowed without an explicit opt-in.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || hostname.startsWith('127.');
}
