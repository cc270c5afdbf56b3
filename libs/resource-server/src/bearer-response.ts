/**
 * RFC 6750 §3 answers of a protected resource: the WWW-Authenticate challenge and a JSON body
 * `{error, error_description?}`. Framework-neutral: a verifier returns one of these and the adapter
 * (NestJS filter, node:http middleware) writes it.
 */

/** The RFC 6750 §3.1 error codes, plus the suite's fail-closed answer when revocations cannot be checked. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

export type BearerErrorBody = { error: string; error_description?: string };

/** A refused request: write `status`, `headers` and `body` (JSON) as they are. */
export type BearerFailure = { ok: false; status: 400 | 401 | 403 | 503; headers: Record<string, string>; body: BearerErrorBody };

/** RFC 6750 §3: error_description and scope are quoted-strings limited to %x20-21 / %x23-5B / %x5D-7E. */
const CHALLENGE_SAFE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;
const safe = (text: string) => text.replace(CHALLENGE_SAFE, '').slice(0, 200);

function challenge(realm: string, attributes: Record<string, string> = {}): string {
  const parts = [`realm="${safe(realm)}"`, ...Object.entries(attributes).map(([name, value]) => `${name}="${safe(value)}"`)];
  return `Bearer ${parts.join(', ')}`;
}

/**
 * §3.1: "If the request lacks any authentication information (e.g., the client was unaware that
 * authentication is necessary or attempted using an unsupported authentication method), the resource
 * server SHOULD NOT include an error code or other error information" in the challenge. The body names
 * the situation for people reading it; it is not an RFC 6750 error code.
 */
export function missingToken(realm: string): BearerFailure {
  return { ok: false, status: 401, headers: { 'www-authenticate': challenge(realm) }, body: { error: 'unauthorized', error_description: 'a bearer access token is required' } };
}

/** §3.1 invalid_request: 400, the Authorization header is not `Bearer <token68>`. */
export function invalidRequest(realm: string, description: string): BearerFailure {
  return { ok: false, status: 400, headers: { 'www-authenticate': challenge(realm, { error: 'invalid_request' }) }, body: { error: 'invalid_request', error_description: safe(description) } };
}

/** §3.1 invalid_token: 401, the token is malformed, not ours, expired or revoked (the description says which, in the body only). */
export function invalidToken(realm: string, description: string): BearerFailure {
  return { ok: false, status: 401, headers: { 'www-authenticate': challenge(realm, { error: 'invalid_token' }) }, body: { error: 'invalid_token', error_description: safe(description) } };
}

/** §3.1 insufficient_scope: 403 with the `scope` attribute listing the scopes the resource needs (§3). */
export function insufficientScope(realm: string, needed: readonly string[]): BearerFailure {
  const scope = needed.join(' ');
  return {
    ok: false,
    status: 403,
    headers: { 'www-authenticate': challenge(realm, { error: 'insufficient_scope', scope }) },
    body: { error: 'insufficient_scope', error_description: safe(`the token lacks the scope: ${scope}`) },
  };
}

/**
 * The key set or the revocation state cannot be had (fail closed): 503 with Retry-After, the suite's
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1's code, used by every service of the suite for outages).
 */
export function temporarilyUnavailable(description: string, retryAfterSeconds = 1): BearerFailure {
  return { ok: false, status: 503, headers: { 'retry-after': String(retryAfterSeconds) }, body: { error: 'temporarily_unavailable', error_description: safe(description) } };
}
