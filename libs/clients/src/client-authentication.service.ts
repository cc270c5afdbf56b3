import { Inject, Injectable, Optional } from '@nestjs/common';
import { type ClientAuthenticationOptions, ClientSecretHasher } from '@authz/oauth';
import { CLIENT_KEY_SETS, type ClientKeySets, CLOCK, type Clock, TTL_STORE, type TtlStore } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';

/** The development pepper (a warning says so in the distributed mode): base64url of 32 fixed bytes. */
export const DEVELOPMENT_CLIENT_SECRET_PEPPER = 'ZGV2ZWxvcG1lbnQtb25seS1jbGllbnQtc2VjcmV0LXBlcHBlcg';

export function clientSecretHasher(settings: Pick<Settings, 'CLIENT_SECRET_PEPPER'>): ClientSecretHasher {
  return new ClientSecretHasher(Buffer.from(settings.CLIENT_SECRET_PEPPER ?? DEVELOPMENT_CLIENT_SECRET_PEPPER, 'base64url'));
}

/**
 * What client authentication needs from this process (RFC 6749 §2.3, RFC 7523): the secret hasher
 * keyed with CLIENT_SECRET_PEPPER, and, where a TTL store is wired (the token service), private_key_jwt
 * with its jti replay memory and the clients' `jwks_uri` key sets (CLIENT_KEY_SETS). The audiences of an assertion are the issuer and the token endpoint.
 */
@Injectable()
export class ClientAuthenticationService {
  readonly hasher: ClientSecretHasher;
  private readonly tokenEndpoint: ClientAuthenticationOptions;

  constructor(
    @Inject(SETTINGS) settings: Settings,
    @Inject(CLOCK) clock: Clock,
    @Optional() @Inject(TTL_STORE) ttl?: TtlStore,
    @Optional() @Inject(CLIENT_KEY_SETS) keySets?: ClientKeySets,
  ) {
    this.hasher = clientSecretHasher(settings);
    const base = settings.ISSUER.replace(/\/$/, '');
    this.tokenEndpoint = {
      secrets: this.hasher,
      ...(ttl
        ? {
            assertions: {
              audiences: [settings.ISSUER, `${base}/token`],
              now: () => clock.now(),
              rememberOnce: (key, ttlMs) => ttl.setIfAbsent(key, '1', ttlMs),
              ...(keySets ? { keySetAt: (uri: string, refresh: boolean) => keySets.get(uri, { refresh }) } : {}),
            },
          }
        : {}),
    };
  }

  /** The token endpoint's: secrets and, with a TTL store, private_key_jwt (handleTokenRequest's clientAuthentication). */
  forTokenEndpoint(): ClientAuthenticationOptions {
    return this.tokenEndpoint;
  }

  /** Other endpoints (introspection, revocation): client secrets only, as the metadata says. */
  forSecretsOnly(): ClientAuthenticationOptions {
    return { secrets: this.hasher };
  }
}
