import { InvalidTarget } from './errors';

/**
 * RFC 8707 §2: "Its value MUST be an absolute URI … MUST NOT include a fragment component".
 * Returns the values as given (deduplicated, order kept); invalid_target otherwise.
 */
export function parseResources(values: readonly string[]): string[] {
  for (const value of values) {
    if (value.includes('#') || !isAbsoluteUri(value)) throw new InvalidTarget('a resource must be an absolute URI without a fragment');
  }
  return [...new Set(values)];
}

/** RFC 3986 §2: the characters a URI may hold (unreserved, reserved, and "%" of percent-encoding); no space. */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

function isAbsoluteUri(value: string): boolean {
  // RFC 3986 §4.3 absolute-URI = scheme ":" hier-part [ "?" query ]; the WHATWG parser checks the rest
  // (it would accept, and percent-encode, a space or a non-ASCII character: not a URI as sent).
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) || !URI_CHARACTERS.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The audience of an access token (RFC 8707 §2, RFC 9068 §3): the requested resources when the
 * client may have each of them (and, after an authorization request that named resources, only among
 * those: `bound`); with none requested, `bound` if given, else the client's configured audience.
 */
export function resolveAudience(requested: readonly string[], allowed: readonly string[], bound?: readonly string[]): string[] {
  if (requested.length === 0) return bound && bound.length > 0 ? [...bound] : [...allowed];
  const permitted = bound && bound.length > 0 ? bound : allowed;
  const refused = requested.filter((resource) => !permitted.includes(resource) || !allowed.includes(resource));
  if (refused.length > 0) throw new InvalidTarget(`the client may not obtain a token for: ${refused.join(' ')}`);
  return [...requested];
}
