import { Inject, Injectable } from '@nestjs/common';
import {
  type AccessTokenRequest,
  buildAccessTokenClaims,
  formatScope,
  type IssuedAccessToken,
  type PreparedAccessToken,
  randomIdentifier,
  sha256Hash,
  type TokenIssuer,
} from '@authz/oauth';
import { CLOCK, type Clock, EVENT_PUBLISHER, type EventPublisher } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';
import { SigningKeysService } from './signing-keys.service';

/**
 * Mints RFC 9068 JWT access tokens: sign (the key in use, see SigningKeysService), then record oauth.access_token.issued.v1 and wait for
 * the log's acknowledgement. Only then does the caller answer: no token exists that the audit log
 * does not know about. (If the process dies after the acknowledgement and before the response, the log
 * holds an event for a token nobody received: it over-reports, never under-reports.)
 */
@Injectable()
export class TokenIssuerService implements TokenIssuer {
  constructor(
    private readonly keys: SigningKeysService,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async issueAccessToken(request: AccessTokenRequest, correlationId?: string): Promise<IssuedAccessToken> {
    const { event, ...issued } = this.prepareAccessToken(request);
    await this.publisher.publish(event, correlationId ? { correlationId } : {});
    return issued;
  }

  /** Signs and builds the token's event without publishing it: the caller publishes it before answering. */
  prepareAccessToken(request: AccessTokenRequest): PreparedAccessToken {
    const ttlSeconds = request.client.accessTokenTtl ?? this.settings.ACCESS_TOKEN_TTL;
    const scope = formatScope(request.scopes);
    const grantId = request.grantId ?? randomIdentifier();
    const claims = buildAccessTokenClaims({
      issuer: this.settings.ISSUER,
      clientId: request.client.clientId,
      subject: request.subject,
      audience: request.audience.length > 0 ? request.audience : [request.client.clientId],
      scope,
      issuedAt: Math.floor(this.clock.now().getTime() / 1000),
      ttlSeconds,
      jti: randomIdentifier(),
      grantId,
      ...(request.authTime === undefined ? {} : { authTime: request.authTime }),
    });
    const accessToken = this.keys.signAccessToken(claims);
    return {
      accessToken,
      expiresIn: ttlSeconds,
      scope,
      event: {
        type: 'oauth.access_token.issued.v1',
        subject: grantId,
        data: {
          jti: claims.jti,
          grantId,
          grantType: request.grantType,
          clientId: claims.client_id,
          sub: claims.sub,
          scope,
          audience: Array.isArray(claims.aud) ? claims.aud : [claims.aud],
          issuedAt: claims.iat,
          expiresAt: claims.exp,
          tokenHash: sha256Hash(accessToken),
        },
      },
    };
  }
}
