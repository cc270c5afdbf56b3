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
