/**
 * The browser's cookies of the server-rendered pages (login, consent, connected apps). Cookies are
 * scoped to the host, not the port, and `Path=/`: the login session set by the authorize service is
 * read by the dashboard of the revocation service under the same issuer host.
 */
export type BrowserCookieNames = { session: string; browser: string; secure: boolean };

/** Secure cookies (and the __Host- prefix) whenever the issuer is https; plain http only on loopback development. */
export function browserCookieNames(issuer: string): BrowserCookieNames {
  const secure = issuer.startsWith('https://');
  return { session: secure ? '__Host-authz_session' : 'authz_session', browser: secure ? '__Host-authz_browser' : 'authz_browser', secure };
}

/** The `Cookie` header as a map. The first cookie of a name wins (a path-scoped duplicate cannot shadow it). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(index + 1).trim());
  }
  return cookies;
}
