/**
 * Redirect URI matching at the authorization endpoint.
 *
 * RFC 9700 §4.1.3 (and §2.1): the redirect_uri of a request is compared with the registered ones by
 * exact string comparison; no pattern, no normalisation. One exception, RFC 8252 §7.3: for a loopback
 * IP literal (`http://127.0.0.1`, `http://[::1]`) a native app listens on an ephemeral port, so the
 * port is ignored and everything else (scheme, host, path, query) must still be equal character for
 * character. `localhost` gets no such leniency (RFC 8252 §8.3 discourages it).
 */
export function matchesRegisteredRedirectUri(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true;
  const loopback = withoutLoopbackPort(requested);
  if (loopback === null) return false;
  return registered.some((uri) => withoutLoopbackPort(uri) === loopback);
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::([1-9][0-9]{0,4}))?([/?].*)?$/;

/** `http://127.0.0.1:<port>/path?query` → `http://127.0.0.1/path?query`; null for anything that is not a loopback IP literal. */
function withoutLoopbackPort(uri: string): string | null {
  const match = LOOPBACK.exec(uri);
  if (!match) return null;
  if (match[2] !== undefined && Number(match[2]) > 65_535) return null;
  const path = match[3] ?? '';
  // A fragment, a userinfo or a second authority never matches (RFC 6749 §3.1.2: no fragment).
  if (path.includes('#') || path.includes('@') || path.includes('\\')) return null;
  return `http://${match[1]}${path === '' ? '/' : path}`;
}

/**
 * A redirect URI a client may register (RFC 6749 §3.1.2): absolute, no fragment; https, or http only
 * for a loopback address (RFC 8252 §7.3, RFC 9700 §2.6), or a private-use scheme (RFC 8252 §7.1).
 * `javascript:`, `data:` and `vbscript:` are never redirect URIs.
 */
export function isAcceptableRedirectUri(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (uri.includes('#')) return false;
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (['javascript', 'data', 'vbscript', 'file', 'blob'].includes(scheme)) return false;
  if (scheme === 'https') return url.hostname !== '';
  if (scheme === 'http') return ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  // Private-use URI scheme of a native app: reverse domain name (RFC 8252 §7.1).
  return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+$/.test(scheme);
}
