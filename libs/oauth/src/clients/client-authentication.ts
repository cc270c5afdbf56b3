import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { InvalidClient, InvalidRequest } from '../errors';
import type { OAuthParameters } from '../form';
import { sha256Hash, UNMATCHABLE_HASH } from '../hash';
import { ClientSecretHasher } from './client-secret';
import type { ClientAuthMethod, ClientJwk, RegisteredClient } from './registered-client';

/** RFC 7523 §2.2: the only client assertion type the token endpoint accepts. */
export const JWT_BEARER_CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Signature algorithms of client assertions (RFC 8414 `token_endpoint_auth_signing_alg_values_supported`).
 * Asymmetric only: `none` and the HMAC algorithms (HS*) are refused (RFC 8414 §2: "none" MUST NOT be used).
 */
export const CLIENT_ASSERTION_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

export type AuthenticatedClient = { client: RegisteredClient; method: ClientAuthMethod };

/** private_key_jwt (RFC 7523) at this endpoint: which audiences, what time, and the jti replay memory. */
export type ClientAssertionOptions = {
  /** Accepted `aud` values (RFC 7523 §3 item 3): the issuer identifier and the token endpoint URL. */
  audiences: readonly string[];
  now: () => Date;
  /**
   * Remembers `key` for `ttlMs`; resolves false when it is already remembered (a replayed jti).
   * Backed by the TTL store; rejects with its *UnavailableError when the store is down (fail closed).
   */
  rememberOnce: (key: string, ttlMs: number) => Promise<boolean>;
  /** Longest accepted time from now to `exp`, seconds (default 300). */
  maxLifetimeSeconds?: number;
  /** Clock skew allowed on `exp`, `nbf` and `iat`, seconds (default 30). */
  clockToleranceSeconds?: number;
  /**
   * The key set at a client's `jwks_uri` (cached by the caller; `refresh` when the cached set has no
   * matching key). Without it, only keys registered inline (`jwks`) are used.
   */
  keySetAt?: (uri: string, refresh: boolean) => Promise<{ keys: ClientJwk[] }>;
};

export type ClientAuthenticationOptions = {
  /** Verifies client secrets; without it only the unkeyed `sha256:` seed hashes can match. */
  secrets?: ClientSecretHasher;
  /** Enables private_key_jwt; without it a client assertion is refused as invalid_client. */
  assertions?: ClientAssertionOptions;
};

type PresentedCredentials =
  | { method: 'client_secret_basic'; clientId: string; clientSecret: string }
  | { method: 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'private_key_jwt'; clientId: string; assertion: string; claims: AssertionClaims }
  | { method: 'none'; clientId: string };

type AssertionClaims = { jti: string; exp: number };

/** Verifies `sha256:` seed hashes only; used when the caller gives no hasher. */
const UNKEYED = new ClientSecretHasher(Buffer.alloc(32));

/**
 * Authenticates the client of a token, introspection or revocation request (RFC 6749 §2.3, §3.2.1,
 * RFC 7523 §2.2). Steps: read the one method the client used → find the client → check it is
 * registered for that method → verify the secret (constant time) or the assertion (signature,
 * claims, single use).
 */
export async function authenticateClient(
  parameters: OAuthParameters,
  authorizationHeader: string | undefined,
  findClient: (clientId: string) => Promise<RegisteredClient | null>,
  options: ClientAuthenticationOptions = {},
): Promise<AuthenticatedClient> {
  const presented = readCredentials(parameters, authorizationHeader, options);
  const usedAuthorizationHeader = presented.method === 'client_secret_basic';
  const failed = () => new InvalidClient('client authentication failed', { challenge: usedAuthorizationHeader });

  // One answer for an unknown client, a method it is not registered for and a wrong secret, and the
  // same hash comparison in each case, so that neither the body nor the timing tells which client ids exist.
  const client = await findClient(presented.clientId);
  const hasher = options.secrets ?? UNKEYED;
  const secretMatches =
    presented.method === 'none' ||
    presented.method === 'private_key_jwt' ||
    hasher.matches(presented.clientSecret, client?.secretHash ?? UNMATCHABLE_HASH);
  if (!client || client.tokenEndpointAuthMethod !== presented.method || !secretMatches) throw failed();
  if (presented.method === 'private_key_jwt') await verifyAssertion(presented, client, options.assertions!);
  return { client, method: presented.method };
}

function readCredentials(parameters: OAuthParameters, authorizationHeader: string | undefined, options: ClientAuthenticationOptions): PresentedCredentials {
  const bodyId = parameters.get('client_id');
  const bodySecret = parameters.get('client_secret');
  const assertionType = parameters.get('client_assertion_type');
  const assertion = parameters.get('client_assertion');
  const usesAssertion = assertionType !== undefined || assertion !== undefined;
  // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
  if ([authorizationHeader !== undefined, bodySecret !== undefined, usesAssertion].filter(Boolean).length > 1) {
    throw new InvalidRequest('more than one client authentication method was used');
  }
  if (authorizationHeader !== undefined) {
    const basic = parseBasicAuthorization(authorizationHeader);
    if (bodyId !== undefined && bodyId !== basic.clientId) throw new InvalidRequest('client_id does not match the Authorization header');
    return { method: 'client_secret_basic', ...basic };
  }
  if (usesAssertion) return readAssertion(assertionType, assertion, bodyId, options.assertions);
  if (bodyId === undefined) throw new InvalidClient('client authentication is required', { challenge: false });
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
  return { method: 'none', clientId: bodyId };
}

/**
 * RFC 7523 §2.2 and §3, checked on the unverified assertion before any client is looked up, so that
 * these answers say nothing about which clients exist: both parameters present, the jwt-bearer type,
 * a JWS with an accepted algorithm, iss = sub = client_id, an accepted aud, a bounded exp, a jti.
 * Every refusal is invalid_client (RFC 7521 §4.2.1), 400 (the Authorization header was not used).
 */
function readAssertion(
  assertionType: string | undefined,
  assertion: string | undefined,
  bodyId: string | undefined,
  options: ClientAssertionOptions | undefined,
): PresentedCredentials {
  if (assertionType === undefined) throw new InvalidRequest("parameter 'client_assertion_type' is missing");
  if (assertion === undefined) throw new InvalidRequest("parameter 'client_assertion' is missing");
  const refuse = (why: string) => new InvalidClient(why, { challenge: false });
  if (assertionType !== JWT_BEARER_CLIENT_ASSERTION_TYPE) throw refuse('unsupported client_assertion_type');
  if (!options) throw refuse('client assertions are not accepted at this endpoint');

  let header: { alg?: unknown };
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw refuse('the client assertion is not a well-formed JWT');
  }
  // A JWE or an unsigned JWT has no accepted "alg"; "none" and HS* are never accepted.
  if (typeof header.alg !== 'string' || !(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(header.alg) || assertion.split('.').length !== 3) {
    throw refuse(`the client assertion must be signed with one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}`);
  }
  const { iss, sub, aud, exp, jti } = claims;
  if (typeof iss !== 'string' || iss === '' || iss !== sub) throw refuse('the client assertion iss and sub must both be the client_id');
  if (bodyId !== undefined && bodyId !== sub) throw refuse('client_id does not match the client assertion');
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((value) => options.audiences.includes(value as string))) throw refuse('the client assertion aud must be the issuer or the token endpoint');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw refuse('the client assertion must have an exp');
  const now = options.now().getTime() / 1000;
  const tolerance = options.clockToleranceSeconds ?? 30;
  if (exp <= now - tolerance) throw refuse('the client assertion has expired');
  if (exp > now + (options.maxLifetimeSeconds ?? 300) + tolerance) throw refuse('the client assertion exp is too far in the future');
  if (typeof jti !== 'string' || jti === '') throw refuse('the client assertion must have a jti');
  return { method: 'private_key_jwt', clientId: iss, assertion, claims: { jti, exp } };
}

/**
 * The client's signature (its registered `jwks`), the time claims once more on the verified token,
 * then single use: the jti is remembered until exp (plus the tolerance). The replay key is a hash of
 * client id and jti, never the assertion.
 */
async function verifyAssertion(
  presented: Extract<PresentedCredentials, { method: 'private_key_jwt' }>,
  client: RegisteredClient,
  options: ClientAssertionOptions,
): Promise<void> {
  const refuse = (why: string) => new InvalidClient(why, { challenge: false });
  const tolerance = options.clockToleranceSeconds ?? 30;
  const verify = (keys: ClientJwk[]) =>
    jwtVerify(presented.assertion, createLocalJWKSet({ keys } as JSONWebKeySet), {
      algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
      issuer: client.clientId,
      subject: client.clientId,
      audience: [...options.audiences],
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
      currentDate: options.now(),
      clockTolerance: tolerance,
    });
  try {
    if (client.jwks && client.jwks.keys.length > 0) {
      await verify(client.jwks.keys);
    } else if (client.jwksUri && options.keySetAt) {
      // A key the cached set does not have: the client may have rotated its keys, fetch once more.
      await verify((await options.keySetAt(client.jwksUri, false)).keys).catch(async (error: unknown) => {
        if ((error as { code?: unknown })?.code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
        await verify((await options.keySetAt!(client.jwksUri!, true)).keys);
      });
    } else {
      throw new Error('no keys');
    }
  } catch {
    // No keys, an unreachable jwks_uri, unknown kid, wrong key, bad signature, not yet valid (nbf): the same answer.
    throw refuse('client authentication failed');
  }
  const ttlMs = Math.max(1000, Math.ceil((presented.claims.exp + tolerance) * 1000 - options.now().getTime()));
  const first = await options.rememberOnce(`client-assertion:${sha256Hash(JSON.stringify([client.clientId, presented.claims.jti]))}`, ttlMs);
  if (!first) throw refuse('the client assertion was already used');
}

/**
 * HTTP Basic credentials of a client (RFC 6749 §2.3.1, RFC 7617): the client id and secret are each
 * encoded with application/x-www-form-urlencoded before being joined by ":" and base64-encoded.
 */
export function parseBasicAuthorization(header: string): { clientId: string; clientSecret: string } {
  const invalid = () => new InvalidClient('malformed Basic credentials', { challenge: true });
  // RFC 9110 §11.4: credentials = auth-scheme [ 1*SP token68 ].
  const match = /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) throw invalid();
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalid();
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === null || clientSecret === null || clientId === '') throw invalid();
  return { clientId, clientSecret };
}

/** application/x-www-form-urlencoded decoding of one value: '+' is a space, %XX a UTF-8 byte. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
