import type { ClientJwk } from '@authz/oauth';

/**
 * The public keys a client publishes at its RFC 7591 `jwks_uri` (private_key_jwt, RFC 7523), fetched
 * and cached. Rejects when the set cannot be had (unreachable, too large, not a JWK Set): the client's
 * authentication then fails, the service stays up.
 */
export interface ClientKeySets {
  /**
   * The key set at `uri`, from the cache while it is fresh. `refresh`: the cached set has no key for an
   * assertion, fetch again (at most once per minimum interval, so a stream of bad assertions cannot
   * make the server hammer the client's host).
   */
  get(uri: string, options?: { refresh?: boolean }): Promise<{ keys: ClientJwk[] }>;
}
