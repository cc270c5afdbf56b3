import { InvalidScope } from './errors';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Parses a space-delimited scope parameter into its tokens (order kept, duplicates dropped). */
export function parseScope(scope: string): string[] {
  const tokens = scope.split(' ');
  if (tokens.some((token) => !SCOPE_TOKEN.test(token))) throw new InvalidScope('the scope parameter is malformed');
  return [...new Set(tokens)];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/**
 * The scope to grant (RFC 6749 §3.3): what was requested if the client may have all of it, the client's
 * default when nothing was requested; invalid_scope otherwise, including when there is no default.
 */
export function resolveRequestedScope(requested: string | undefined, allowed: readonly string[], defaults: readonly string[]): string[] {
  if (requested === undefined) {
    if (defaults.length === 0) throw new InvalidScope('no scope was requested and the client has no default scope');
    return [...defaults];
  }
  const scopes = parseScope(requested);
  const refused = scopes.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) throw new InvalidScope(`the client may not request: ${refused.join(' ')}`);
  return scopes;
}

/**
 * The scope of a refreshed access token (RFC 6749 §6): the originally granted scope when none is
 * requested; a requested scope must not include any scope not originally granted (narrowing only).
 */
export function narrowScope(requested: string | undefined, granted: readonly string[]): string[] {
  if (requested === undefined) return [...granted];
  const scopes = parseScope(requested);
  const widened = scopes.filter((scope) => !granted.includes(scope));
  if (widened.length > 0) throw new InvalidScope(`scope beyond the original grant: ${widened.join(' ')}`);
  return scopes;
}

/**
 * The `scope` member of a token response (RFC 6749 §5.1): "OPTIONAL, if identical to the scope requested
 * by the client; otherwise, REQUIRED". Absent when the request named exactly the granted scopes (in any
 * order); present otherwise, including when the request named none.
 */
export function responseScope(requested: string | undefined, granted: readonly string[]): string | undefined {
  if (requested !== undefined) {
    const asked = new Set(parseScope(requested));
    if (asked.size === granted.length && granted.every((scope) => asked.has(scope))) return undefined;
  }
  return formatScope(granted);
}
