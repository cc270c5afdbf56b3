import { z } from 'zod';

/** `sha256:` + base64url(SHA-256(value)): how a secret value is referred to in events and storage keys. */
export const sha256Hash = z.string().regex(/^sha256:[A-Za-z0-9_-]{43}$/, 'expected sha256:<base64url digest>');

/** The grant types the suite knows (RFC 6749 §4). */
export const grantType = z.enum(['authorization_code', 'refresh_token', 'client_credentials', 'password']);
export type GrantType = z.infer<typeof grantType>;

/**
 * How an access token was obtained: a grant type, or `implicit` (RFC 6749 §4.2: the legacy flow whose
 * token the authorization endpoint returns in the fragment; not a grant at the token endpoint). Only
 * oauth.access_token.issued.v1 carries it; a new enum value is a compatible change of that schema.
 */
export const accessTokenGrantType = z.enum([...grantType.options, 'implicit']);
export type AccessTokenGrantType = z.infer<typeof accessTokenGrantType>;

/**
 * How a client secret or registration access token is stored: `hmac-sha256:` (keyed with the
 * server's pepper) or `sha256:` (the seed file's unkeyed form), then a base64url digest. Never the value.
 */
export const storedSecretHash = z.string().regex(/^(sha256|hmac-sha256):[A-Za-z0-9_-]{43}$/, 'expected hmac-sha256:<base64url digest> or sha256:<base64url digest>');
