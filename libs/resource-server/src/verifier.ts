import { compactVerify } from 'jose';
import { type BearerFailure, insufficientScope, invalidRequest, invalidToken, missingToken, temporarilyUnavailable } from './bearer-response';
import { IntrospectionClient, type IntrospectionOptions, IntrospectionUnavailableError } from './introspection';
import { ASYMMETRIC_ALGORITHMS, JwksCache, JwksUnavailableError, type VerificationKey } from './jwks';
import { type FeedLogger, KafkaRevocationFeed, type KafkaRevocationFeedOptions, type RevocationSource } from './revocation-feed';

/** The claims of a verified RFC 9068 access token (§2.2), with the suite's `grant_id`. */
export type AccessTokenClaims = {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  grant_id: string;
  scope?: string;
  nbf?: number;
  auth_time?: number;
  [claim: string]: unknown;
};

export type VerifySuccess = { ok: true; claims: AccessTokenClaims; scopes: string[] };
export type VerifyResult = VerifySuccess | BearerFailure;

export type VerifierOptions = {
  /** The authorization server's issuer identifier: `iss` must equal it exactly (RFC 9068 §4). */
  issuer: string;
  /** This resource server's identifier: `aud` must contain it (RFC 9068 §4). */
  audience: string;
  /** The JWK Set URL (the metadata's `jwks_uri`, `<issuer>/jwks` for the suite). */
  jwksUrl: string;
  /** The `realm` of the challenges (RFC 6750 §3). Default `api`. */
  realm?: string;
  /** Accepted signature algorithms. Default: every asymmetric one (ES*, EdDSA, RS*, PS*); `none` and HS* are refused here. */
  algorithms?: string[];
  /** Tolerated clock difference for `exp`, `nbf` and `iat`, seconds. Default 30. */
  clockSkewSeconds?: number;
  /**
   * The longest access-token lifetime accepted (`exp − iat`), seconds. Default 86400 (the suite's
   * largest per-client lifetime). It also bounds how far back the revocation feed reads at start and how
   * long a grant revocation without `coversUntil` is remembered.
   */
  maxTokenLifetimeSeconds?: number;
  /** JWK Set cache: see JwksOptions. */
  jwks?: { timeoutMs?: number; unknownKidCooldownMs?: number; defaultMaxAgeSeconds?: number; staleIfErrorSeconds?: number };
  /**
   * Revocation by events: follow the suite's revocation topic (needs kafkajs). When the feed is not
   * caught up or stale, requests fall back to `introspection` if it is given, else answer 503.
   */
  kafka?: Omit<KafkaRevocationFeedOptions, 'maxTokenLifetimeSeconds' | 'clockSkewSeconds' | 'now' | 'logger'>;
  /** Revocation by introspection: per token (cached briefly), alone or as the fallback of `kafka`. */
  introspection?: IntrospectionOptions;
  /** Another revocation source (an already started feed, a test's). Takes the place of `kafka`. */
  revocations?: RevocationSource;
  /** Explicitly verify tokens without any revocation check (tests, tokens too short-lived to matter). */
  skipRevocationCheck?: boolean;
  /** Largest accepted token, characters. Default 8192. */
  maxTokenLength?: number;
  now?: () => number;
  fetch?: typeof fetch;
  logger?: FeedLogger;
};

export type VerifyOptions = { scopes?: readonly string[] };

export interface Verifier {
  /** Verifies the value of an Authorization header (or its absence) for a resource needing `scopes`. */
  verify(authorization: string | undefined | null, options?: VerifyOptions): Promise<VerifyResult>;
  /** Resolves when the revocation source is ready (at once without a Kafka feed). */
  ready(): Promise<void>;
  /** `ready`: the revocation feed is caught up and fresh (always, without a feed). Requests still pass through the introspection fallback when it is not. */
  health(): { ready: boolean; revocations: 'kafka' | 'introspection' | 'kafka+introspection' | 'custom' | 'none'; feed?: ReturnType<KafkaRevocationFeed['status']> };
  close(): Promise<void>;
  /** The pieces, for health endpoints, metrics and tests. */
  readonly parts: { jwks: JwksCache; feed: RevocationSource | undefined; introspection: IntrospectionClient | undefined };
}

/** RFC 6750 §2.1: `Bearer` (case-insensitive, RFC 9110 §11.1), one space, then a token68. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const TYPES = new Set(['at+jwt', 'application/at+jwt']);
const REQUIRED_STRING_CLAIMS = ['iss', 'sub', 'client_id', 'jti', 'grant_id'] as const;

/**
 * Builds a verifier of the suite's RFC 9068 access tokens for one resource server: signature against
 * the JWK Set (cached), header `alg`/`typ`, claims `iss`, `aud`, `exp`, `nbf`, `iat` with a clock skew,
 * the required claims, revocation (events or introspection), then the scopes a route needs.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? Date.now;
  const realm = options.realm ?? 'api';
  const skew = options.clockSkewSeconds ?? 30;
  const maxLifetime = options.maxTokenLifetimeSeconds ?? 86_400;
  const maxLength = options.maxTokenLength ?? 8192;
  const algorithms = options.algorithms ?? [...ASYMMETRIC_ALGORITHMS];
  const refused = algorithms.filter((alg) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg));
  if (refused.length > 0 || algorithms.length === 0) throw new TypeError(`createVerifier: algorithms must be asymmetric JWS algorithms, not ${refused.join(', ') || 'none'}`);
  if (!options.kafka && !options.introspection && !options.revocations && !options.skipRevocationCheck) {
    throw new TypeError('createVerifier: give kafka, introspection or revocations (or skipRevocationCheck: true) so that revoked tokens are refused');
  }

  const jwks = new JwksCache({ url: options.jwksUrl, algorithms, now, ...(options.fetch ? { fetch: options.fetch } : {}), ...options.jwks });
  const introspection = options.introspection ? new IntrospectionClient({ ...(options.fetch ? { fetch: options.fetch } : {}), ...options.introspection }) : undefined;
  let feed: RevocationSource | undefined = options.revocations;
  let kafkaFeed: KafkaRevocationFeed | undefined;
  if (!feed && options.kafka) {
    kafkaFeed = new KafkaRevocationFeed({ ...options.kafka, maxTokenLifetimeSeconds: maxLifetime, clockSkewSeconds: skew, now, ...(options.logger ? { logger: options.logger } : {}) }).start();
    feed = kafkaFeed;
  }
  const mode = options.revocations ? 'custom' : kafkaFeed && introspection ? 'kafka+introspection' : kafkaFeed ? 'kafka' : introspection ? 'introspection' : 'none';

  async function verifyToken(token: string, required: readonly string[]): Promise<VerifyResult> {
    if (token.length > maxLength) return invalidToken(realm, 'the token is too large');
    // The header is read before any key lookup, so that garbage never reaches the JWK Set.
    const parts = token.split('.');
    if (parts.length !== 3) return invalidToken(realm, 'the token is not a signed JWT');
    let header: { alg?: unknown; typ?: unknown; kid?: unknown };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
    } catch {
      return invalidToken(realm, 'the token header is not JSON');
    }
    if (typeof header !== 'object' || header === null) return invalidToken(realm, 'the token header is not a JSON object');
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) return invalidToken(realm, 'the token algorithm is not accepted');
    // RFC 9068 §4: typ must be at+jwt (application/at+jwt): no other JWT passes for an access token.
    if (typeof header.typ !== 'string' || !TYPES.has(header.typ.toLowerCase())) return invalidToken(realm, 'the token is not an access token (typ)');
    if (header.kid !== undefined && typeof header.kid !== 'string') return invalidToken(realm, 'the token kid is not a string');

    let key: VerificationKey | undefined;
    try {
      key = await jwks.key(header.kid, header.alg);
    } catch (error) {
      if (error instanceof JwksUnavailableError) return temporarilyUnavailable('the signing keys cannot be fetched, retry later');
      return invalidToken(realm, 'the token signing key cannot be used');
    }
    if (!key) return invalidToken(realm, 'the token signing key is unknown');
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, key, { algorithms: [header.alg] }));
    } catch {
      return invalidToken(realm, 'the token signature is invalid');
    }
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
    } catch {
      return invalidToken(realm, 'the token claims are not JSON');
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return invalidToken(realm, 'the token claims are not a JSON object');

    // RFC 9068 §2.2 required claims, and the suite's grant_id (the revocation key).
    for (const name of REQUIRED_STRING_CLAIMS) {
      if (typeof claims[name] !== 'string' || claims[name] === '') return invalidToken(realm, `the token lacks the ${name} claim`);
    }
    for (const name of ['exp', 'iat'] as const) {
      if (typeof claims[name] !== 'number' || !Number.isFinite(claims[name])) return invalidToken(realm, `the token lacks the ${name} claim`);
    }
    if (claims.iss !== options.issuer) return invalidToken(realm, 'the token is from another issuer');
    const audience = claims.aud;
    const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : undefined;
    if (!audiences) return invalidToken(realm, 'the token lacks the aud claim');
    if (!audiences.includes(options.audience)) return invalidToken(realm, 'the token is for another audience');
    if (claims.scope !== undefined && typeof claims.scope !== 'string') return invalidToken(realm, 'the token scope is not a string');
    const nowSeconds = now() / 1000;
    const exp = claims.exp as number;
    const iat = claims.iat as number;
    if (nowSeconds >= exp + skew) return invalidToken(realm, 'the token has expired');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || nowSeconds < claims.nbf - skew)) return invalidToken(realm, 'the token is not valid yet');
    if (iat > nowSeconds + skew) return invalidToken(realm, 'the token was issued in the future');
    if (exp - iat > maxLifetime) return invalidToken(realm, 'the token lifetime is longer than accepted');
    const verified = claims as AccessTokenClaims;

    // Revocation before scope: a revoked token is invalid_token whatever it could do.
    if (feed || introspection) {
      if (feed && feed.isAvailable(now())) {
        if (feed.isRevoked(verified)) return invalidToken(realm, 'the token has been revoked');
      } else if (introspection) {
        try {
          if (!(await introspection.isActive(token, exp, now()))) return invalidToken(realm, 'the token is not active');
        } catch (error) {
          if (error instanceof IntrospectionUnavailableError) return temporarilyUnavailable('the token revocation status cannot be checked, retry later');
          throw error;
        }
      } else if (feed) {
        return temporarilyUnavailable('the token revocation status cannot be checked, retry later');
      }
    }

    const scopes = typeof verified.scope === 'string' ? verified.scope.split(' ').filter(Boolean) : [];
    if (required.some((scope) => !scopes.includes(scope))) return insufficientScope(realm, required);
    return { ok: true, claims: verified, scopes };
  }

  return {
    parts: { jwks, feed, introspection },
    async verify(authorization, verifyOptions = {}) {
      // §3.1: no authentication information at all (or another scheme): a bare challenge.
      if (authorization === undefined || authorization === null || authorization.trim() === '') return missingToken(realm);
      const scheme = /^([^ \t]+)/.exec(authorization)?.[1] ?? '';
      if (scheme.toLowerCase() !== 'bearer') return missingToken(realm);
      const token = BEARER.exec(authorization)?.[1];
      if (!token) return invalidRequest(realm, 'the Authorization header must be Bearer followed by a token');
      return verifyToken(token, verifyOptions.scopes ?? []);
    },
    async ready() {
      if (kafkaFeed) await kafkaFeed.whenReady();
    },
    health() {
      const feedStatus = kafkaFeed?.status(now());
      const available = feed ? feed.isAvailable(now()) : true;
      return { ready: available, revocations: mode, ...(feedStatus ? { feed: feedStatus } : {}) };
    },
    async close() {
      await feed?.close();
    },
  };
}
