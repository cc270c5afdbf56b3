/**
 * RFC 6749 §5.2 error responses as classes (after node-oidc-provider lib/helpers/errors.js and fosite errors.go).
 * One exception filter renders `{ error, error_description }` with the class's status and headers.
 * `error_description` is for the developer of the client: never a secret, never a stack.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  readonly headers: Readonly<Record<string, string>> = {};
  readonly description: string;

  constructor(description: string) {
    const safe = errorDescription(description);
    super(safe);
    this.description = safe;
  }

  toBody(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

const MAX_DESCRIPTION = 200;

/**
 * RFC 6749 §5.2: error_description "MUST NOT include characters outside the set %x20-21 / %x23-5B /
 * %x5D-7E" (no double quote, no backslash, no control or non-ASCII character). A description that
 * echoes client input (an unknown grant_type, say) is folded into that set and shortened.
 */
export function errorDescription(text: string): string {
  const folded = text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
  return folded.length > MAX_DESCRIPTION ? `${folded.slice(0, MAX_DESCRIPTION - 3)}...` : folded;
}

/** RFC 6749 §5.2: missing, repeated or malformed parameter, or more than one client authentication method. */
export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}

/**
 * RFC 6749 §5.2: client authentication failed. With `challenge`, 401 and a `WWW-Authenticate: Basic`
 * challenge (HTTP requires the header on a 401): at the token endpoint when the client used the
 * Authorization header, and always at the introspection endpoint (RFC 7662 §2.3). Otherwise 400.
 */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status: number;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(description: string, options: { challenge: boolean; realm?: string }) {
    super(description);
    this.status = options.challenge ? 401 : 400;
    this.headers = options.challenge ? { 'www-authenticate': `Basic realm="${options.realm ?? 'token'}", error="invalid_client"` } : {};
  }

  /** The same failure, answered with a 401 challenge for `realm`. */
  withChallenge(realm: string): InvalidClient {
    return new InvalidClient(this.description, { challenge: true, realm });
  }
}

/** RFC 6749 §5.2: the grant (code, refresh token, credentials) is invalid, expired, revoked or not the client's. */
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
}

/** RFC 6749 §5.2: the client is not registered for this grant type. */
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}

/** RFC 6749 §5.2: the server does not support this grant type. */
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}

/** RFC 6749 §5.2: the scope is invalid, unknown, malformed, or beyond what the client may have. */
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}

/** RFC 8707 §2: a `resource` is not an absolute URI without fragment, or not one the client may obtain tokens for. */
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
}

/** RFC 6749 §4.1.2.1: a dependency is down; the client may retry later. HTTP 503. */
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status = 503;
  override readonly headers = { 'retry-after': '1' };
}

/** RFC 6749 §4.1.2.1: an unexpected condition. The description is always generic; details go to the log. */
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly status = 500;

  constructor() {
    super('The server encountered an unexpected condition.');
  }
}

/**
 * RFC 7591 §3.2.2: a redirect URI of the registration is invalid (not absolute, a fragment, http
 * other than on a loopback address). HTTP 400.
 */
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
}

/** RFC 7591 §3.2.2: a client metadata value is invalid, or values are inconsistent with each other. HTTP 400. */
export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
}

/**
 * RFC 6750 §3.1: the bearer token (an initial or a registration access token, RFC 7591 §3, RFC 7592 §3)
 * is missing, unknown, expired or revoked. HTTP 401 with a `WWW-Authenticate: Bearer` challenge; a
 * request without any token gets the challenge without an error code (RFC 6750 §3.1).
 */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly status = 401;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(description: string, options: { realm: string; tokenPresented: boolean }) {
    super(description);
    this.headers = {
      'www-authenticate': options.tokenPresented ? `Bearer realm="${options.realm}", error="invalid_token"` : `Bearer realm="${options.realm}"`,
    };
  }
}

/**
 * RFC 6750 §3.1 invalid_request at a Bearer-protected endpoint: an Authorization header that is not
 * `Bearer <b64token>` (another scheme, no token, two credentials). 400 with a Bearer challenge that names
 * the error (§3: every challenge of a Bearer-protected resource uses the Bearer scheme).
 */
export class InvalidBearerRequest extends InvalidRequest {
  override readonly headers: Readonly<Record<string, string>>;

  constructor(description: string, options: { realm: string }) {
    super(description);
    this.headers = { 'www-authenticate': `Bearer realm="${options.realm}", error="invalid_request"` };
  }
}
