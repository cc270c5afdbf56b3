import { randomBytes } from 'node:crypto';
import { randomBase64url } from './hash';

/** The JWT access token profile (RFC 9068): header `typ` and the claims it requires. */
export const ACCESS_TOKEN_JWT_TYPE = 'at+jwt';

/** RFC 9068 §2.2 claims; `scope` per §2.2.3 (space-delimited, as RFC 8693 §4.2). */
export type AccessTokenClaims = {
  iss: string;
  exp: number;
  aud: string | string[];
  sub: string;
  client_id: string;
  iat: number;
  jti: string;
  scope: string;
  /**
   * The grant the token was issued under (a private claim, RFC 7519 §4.3): revoking the grant (RFC 7009,
   * the connected-apps dashboard, a detected replay) revokes the token at every verifier that follows
   * the revocation events, without a lookup.
   */
  grant_id: string;
  /** When the user authenticated (RFC 9068 §2.2.1), when a user is present. */
  auth_time?: number;
};

/**
 * The longest lifetime an access token may have (seconds): the upper bound of ACCESS_TOKEN_TTL and of a
 * client's `access_token_ttl`. A revocation that cannot tell the client's lifetime covers this long.
 */
export const MAX_ACCESS_TOKEN_TTL = 86_400;

/** Random bytes drawn from the CSPRNG 4 KiB at a time: one call per 256 identifiers on the token hot path. */
const IDENTIFIER_POOL_SIZE = 4096;
let identifierPool = Buffer.alloc(0);
let identifierOffset = 0;

/** A random identifier with 128 bits of entropy, base64url (jti, grant ids). Each pool byte is used once. */
export function randomIdentifier(): string {
  if (identifierOffset + 16 > identifierPool.length) {
    identifierPool = randomBytes(IDENTIFIER_POOL_SIZE);
    identifierOffset = 0;
  }
  const identifier = identifierPool.toString('base64url', identifierOffset, identifierOffset + 16);
  identifierOffset += 16;
  return identifier;
}

export function buildAccessTokenClaims(input: {
  issuer: string;
  clientId: string;
  subject: string;
  audience: readonly string[];
  scope: string;
  issuedAt: number;
  ttlSeconds: number;
  jti: string;
  grantId: string;
  authTime?: number;
}): AccessTokenClaims {
  return {
    iss: input.issuer,
    exp: input.issuedAt + input.ttlSeconds,
    // RFC 7519 §4.1.3: a single audience may be a string.
    aud: input.audience.length === 1 ? input.audience[0]! : [...input.audience],
    sub: input.subject,
    client_id: input.clientId,
    iat: input.issuedAt,
    jti: input.jti,
    scope: input.scope,
    grant_id: input.grantId,
    ...(input.authTime === undefined ? {} : { auth_time: input.authTime }),
  };
}

/** A refresh token (RFC 6749 §1.5): opaque, 256 random bits, base64url; stored and logged only by its hash. */
export function randomRefreshToken(): string {
  return randomBase64url(32);
}

/** The introspection answer for an active token (RFC 7662 §2.2). */
/** The grant id stays inside the token: it is a verifier's revocation key, not an RFC 7662 member. */
export type ActiveIntrospection = Omit<AccessTokenClaims, 'grant_id'> & { active: true; token_type: 'Bearer' };
export type IntrospectionResponse = ActiveIntrospection | { active: false };

export const INACTIVE: { active: false } = Object.freeze({ active: false });

export function activeIntrospection(claims: AccessTokenClaims): ActiveIntrospection {
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
  };
}

