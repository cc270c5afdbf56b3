import { Inject, Injectable } from '@nestjs/common';
import type { EventOf, GrantRevocationReason } from '@authz/contracts';
import { AccessTokenVerifier } from '@authz/introspection';
import { MAX_ACCESS_TOKEN_TTL, sha256Hash } from '@authz/oauth';
import {
  CLIENT_REGISTRY,
  CLOCK,
  type ClientRegistry,
  type Clock,
  EVENT_PUBLISHER,
  type EventPublisher,
  type Logger,
  REFRESH_FAMILY_STORE,
  type RefreshFamilyStore,
} from '@authz/ports';
import { LOGGER, SETTINGS, type Settings } from '@authz/platform';
import { RevocationFeedService } from '@authz/projections';

/** What a revocation names: a grant (every token of it), by whom and why. */
export type GrantRevocationRequest = {
  grantId: string;
  clientId: string;
  /** The grant's resource owner, when the caller knows it (the dashboard does). */
  subject?: string;
  reason: Extract<GrantRevocationReason, 'client_request' | 'user_request' | 'admin_request'>;
};

/** RFC 7009 §2.1 `token_type_hint` values this server knows; any other value is ignored. */
type TokenTypeHint = 'access_token' | 'refresh_token';

/**
 * Revocation (RFC 7009 and the connected-apps dashboard). Every revocation is:
 *
 * 1. written where the token service will see it before its next refresh: the grant's refresh families
 *    and `revoked_grants` in PostgreSQL (the token service locks a family row to rotate it, so a refresh
 *    racing the revocation is serialized with it), then
 * 2. published (oauth.grant.revoked.v1 / oauth.access_token.revoked.v1 on oauth.revocations) and
 *    acknowledged by the log before the transaction commits and before the caller is answered, then
 * 3. applied to this process's revocation set at once; every other replica applies it from the topic.
 */
@Injectable()
export class RevocationService {
  constructor(
    @Inject(REFRESH_FAMILY_STORE) private readonly families: RefreshFamilyStore,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(CLIENT_REGISTRY) private readonly clients: ClientRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly accessTokens: AccessTokenVerifier,
    private readonly feed: RevocationFeedService,
  ) {}

  /**
   * RFC 7009 §2.1: revokes `token` if it is one of ours issued to `clientId`. A refresh token revokes its
   * grant (the whole family and the access tokens issued under it, §2.1 "SHOULD also invalidate all
   * access tokens based on the same authorization grant"); an access token revokes its jti.
   * Anything else (unknown, expired, another client's) changes nothing: the endpoint answers 200 all
   * the same (§2.2), so it tells a caller nothing about tokens it does not hold.
   * The hint only orders the lookups (§2.1: a wrong hint extends the search to the other type).
   */
  async revokeToken(clientId: string, token: string, hint: string | undefined, correlationId?: string): Promise<void> {
    const lookups: Array<() => Promise<boolean>> =
      (hint as TokenTypeHint | undefined) === 'access_token'
        ? [() => this.revokeAccessToken(clientId, token, correlationId), () => this.revokeRefreshToken(clientId, token, correlationId)]
        : [() => this.revokeRefreshToken(clientId, token, correlationId), () => this.revokeAccessToken(clientId, token, correlationId)];
    for (const lookup of lookups) if (await lookup()) return;
  }

  /**
   * Revokes a grant: its refresh families at once in the database, every access token of it at every
   * verifier through oauth.grant.revoked.v1. A grant revoked already is not announced again.
   */
  async revokeGrant(request: GrantRevocationRequest, correlationId?: string): Promise<void> {
    const revokedAt = this.nowSeconds();
    const coversUntil = revokedAt + (await this.accessTokenLifetime(request.clientId));
    await this.families.revokeGrant({ grantId: request.grantId, clientId: request.clientId, reason: request.reason, revokedAt: revokedAt * 1000 }, async (found) => {
      const subject = request.subject ?? found.subject;
      const event: EventOf<'oauth.grant.revoked.v1'> = {
        type: 'oauth.grant.revoked.v1',
        subject: request.grantId,
        data: { grantId: request.grantId, clientId: request.clientId, ...(subject === undefined ? {} : { subject }), reason: request.reason, revokedAt, coversUntil },
      };
      await this.publisher.publish(event, correlationId ? { correlationId } : {});
      this.feed.record(event);
    });
    this.logger.info({ grantId: request.grantId, clientId: request.clientId, reason: request.reason }, 'grant revoked');
  }

  private async revokeRefreshToken(clientId: string, token: string, correlationId?: string): Promise<boolean> {
    const owner = await this.families.findToken(sha256Hash(token));
    if (owner === null) return false;
    // Another client's token: found, and left alone (§2.1 validation failed; §2.2 answers 200 anyway).
    if (owner.clientId !== clientId || owner.revoked) return true;
    await this.revokeGrant({ grantId: owner.grantId, clientId, subject: owner.subject, reason: 'client_request' }, correlationId);
    return true;
  }

  private async revokeAccessToken(clientId: string, token: string, correlationId?: string): Promise<boolean> {
    const claims = await this.accessTokens.verify(token);
    if (claims === null) return false;
    if (claims.client_id !== clientId || this.feed.isRevoked(claims)) return true;
    const event: EventOf<'oauth.access_token.revoked.v1'> = {
      type: 'oauth.access_token.revoked.v1',
      subject: claims.grant_id,
      data: { jti: claims.jti, grantId: claims.grant_id, clientId, sub: claims.sub, reason: 'client_request', revokedAt: this.nowSeconds(), expiresAt: claims.exp },
    };
    await this.publisher.publish(event, correlationId ? { correlationId } : {});
    this.feed.record(event);
    this.logger.info({ jti: claims.jti, grantId: claims.grant_id, clientId }, 'access token revoked');
    return true;
  }

  /** The longest an access token of the client can live (a client removed since: the longest any can). */
  private async accessTokenLifetime(clientId: string): Promise<number> {
    const client = await this.clients.find(clientId);
    return client ? Math.max(client.accessTokenTtl ?? 0, this.settings.ACCESS_TOKEN_TTL) : MAX_ACCESS_TOKEN_TTL;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
