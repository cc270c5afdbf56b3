import { Inject, Injectable, Optional } from '@nestjs/common';
import type { DomainEvent, EventOf } from '@authz/contracts';
import {
  type AuthorizationCodeGrant,
  type CodeRedemptionResult,
  type CredentialsResult,
  decideRefresh,
  evolveRefreshFamily,
  formatScope,
  type GrantServices,
  type PreparedAccessToken,
  randomIdentifier,
  randomRefreshToken,
  type RefreshExchangeRequest,
  type RefreshExchangeResult,
  type RefreshFamilyRequest,
  type RefreshFamilyState,
  type ResourceOwnerCredentials,
  sha256Hash,
  InvalidGrant,
  MAX_ACCESS_TOKEN_TTL,
  TemporarilyUnavailable,
  type ScopePolicy,
} from '@authz/oauth';
import {
  AUTHORIZATION_CODE_STORE,
  type AuthorizationCodeStore,
  CLOCK,
  type Clock,
  CREDENTIAL_VERIFIER,
  type CredentialVerifier,
  EVENT_PUBLISHER,
  type EventPublisher,
  IdentityUnavailableError,
  type Logger,
  REFRESH_FAMILY_STORE,
  type RefreshFamilyStore,
  type StoredRefreshGrace,
} from '@authz/ports';
import { loadScopePolicy, LOGGER, SETTINGS, type Settings } from '@authz/platform';
import { RevocationFeedService } from '@authz/projections';
import { KeyEncryption } from './key-encryption';
import { KEY_ENCRYPTION } from './signing-keys.service';

/**
 * The stateful side of the grants (GrantServices): authorization codes, refresh token families,
 * grant revocation and resource owner credentials. Every change is published, and acknowledged by the
 * log, inside the database transaction that makes it (the store's `confirm`/`work`): a publish that
 * fails rolls the change back and the request answers 503, so neither a token nor a state change
 * exists that the log does not know about. (The reverse can happen: a COMMIT that fails after the
 * acknowledgement leaves an event for a change that did not happen; the log over-reports, never under-reports.)
 */
@Injectable()
export class GrantServicesService {
  constructor(
    @Inject(AUTHORIZATION_CODE_STORE) private readonly codes: AuthorizationCodeStore,
    @Inject(REFRESH_FAMILY_STORE) private readonly families: RefreshFamilyStore,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(KEY_ENCRYPTION) private readonly sealing: KeyEncryption,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(CREDENTIAL_VERIFIER) private readonly credentials?: CredentialVerifier,
    @Optional() private readonly revocations?: RevocationFeedService,
  ) {
    this.scopePolicy = loadScopePolicy(settings.SCOPE_POLICY);
  }

  /** SCOPE_POLICY, validated at startup (a bad policy stops the service). */
  private readonly scopePolicy: ScopePolicy | undefined;

  /**
   * The services for one request: its events carry the request's correlation id; a credential check
   * carries the end user's IP (request.ip: the socket peer, or the X-Forwarded-For address behind
   * TRUST_PROXY), so the identity service counts failures per user address, not per ingress.
   */
  forRequest(correlationId?: string, clientIp?: string): GrantServices {
    const publish = (events: DomainEvent[]) => this.publish(events, correlationId);
    return {
      redeemAuthorizationCode: (codeHash) => this.redeemAuthorizationCode(codeHash),
      restoreAuthorizationCode: (codeHash, grant) => this.codes.restore(codeHash, grant),
      completeCodeRedemption: (codeHash, grant, accessToken, refresh) => this.completeCodeRedemption(codeHash, grant, accessToken, refresh, publish),
      revokeGrant: (revocation) =>
        this.families.revokeGrant({ ...revocation, revokedAt: this.nowSeconds() * 1000 }, (found) =>
          // A code replay knows the client id only: its tokens are covered for the longest lifetime a client may have.
          publish([grantRevoked(revocation.grantId, revocation.clientId, revocation.subject ?? found.subject, revocation.reason, this.nowSeconds(), MAX_ACCESS_TOKEN_TTL)]),
        ),
      issueRefreshToken: (request, accessToken) => this.issueRefreshToken(request, [accessToken.event], [], publish),
      exchangeRefreshToken: (request) => this.exchangeRefreshToken(request, publish),
      verifyCredentials: (check) => this.verifyCredentials(clientIp ? { ...check, clientIp } : check, correlationId),
      ...(this.scopePolicy ? { scopePolicy: this.scopePolicy } : {}),
    };
  }

  private async redeemAuthorizationCode(codeHash: string): Promise<CodeRedemptionResult> {
    return this.codes.redeem(codeHash);
  }

  /**
   * The access token, the refresh family (if any) and the redemption, recorded in one batch: the
   * request waits for one acknowledgement, and the family row commits only after it.
   */
  private async completeCodeRedemption(
    codeHash: string,
    grant: AuthorizationCodeGrant,
    accessToken: PreparedAccessToken,
    refresh: RefreshFamilyRequest | undefined,
    publish: (events: DomainEvent[]) => Promise<void>,
  ): Promise<string | undefined> {
    const redeemed: DomainEvent = {
      type: 'oauth.authorization_code.redeemed.v1',
      subject: grant.grantId,
      data: { codeHash, grantId: grant.grantId, clientId: grant.clientId, sub: grant.subject, redeemedAt: this.nowSeconds() },
    };
    if (refresh === undefined) {
      await publish([accessToken.event, redeemed]);
      return undefined;
    }
    return this.issueRefreshToken(refresh, [accessToken.event], [redeemed], publish);
  }

  /** Opens a family; its event is published between `before` and `after`, in one batch, inside the family's transaction. */
  private async issueRefreshToken(
    request: RefreshFamilyRequest,
    before: DomainEvent[],
    after: DomainEvent[],
    publish: (events: DomainEvent[]) => Promise<void>,
  ): Promise<string> {
    const token = randomRefreshToken();
    const issuedAt = this.nowSeconds();
    const absolute = request.client.refreshTokenTtl ?? this.settings.REFRESH_TOKEN_TTL;
    const idle = request.client.refreshTokenIdleTtl ?? this.settings.REFRESH_TOKEN_IDLE_TTL;
    const event: EventOf<'oauth.refresh_token.issued.v1'> = {
      type: 'oauth.refresh_token.issued.v1',
      subject: request.grantId,
      data: {
        familyId: randomIdentifier(),
        grantId: request.grantId,
        grantType: request.grantType,
        clientId: request.client.clientId,
        sub: request.subject,
        scope: formatScope(request.scopes),
        audience: request.audience,
        ...(request.authTime === undefined ? {} : { authTime: request.authTime }),
        generation: 0,
        tokenHash: sha256Hash(token),
        issuedAt,
        expiresAt: issuedAt + absolute,
        idleExpiresAt: issuedAt + Math.min(idle, absolute),
      },
    };
    const family = evolveRefreshFamily(null, event)!;
    const created = await this.families.create(family, () => publish([...before, event, ...after]));
    // The grant was revoked meanwhile (its code was replayed while this redemption ran).
    if (created === 'grant_revoked') throw new InvalidGrant('the authorization grant was revoked');
    return token;
  }

  private async exchangeRefreshToken(request: RefreshExchangeRequest, publish: (events: DomainEvent[]) => Promise<void>): Promise<RefreshExchangeResult> {
    return this.families.exchange(request.tokenHash, async (found, writer): Promise<RefreshExchangeResult> => {
      if (!found) return { outcome: 'refused', reason: 'unknown' };
      const { family, grace, presentedGeneration } = found;
      // The revocation service marks the family revoked in this database before it publishes, so the
      // row is the authority; the revocation set (oauth.revocations, every replica) refuses as well a
      // grant revoked by an event whose row this database does not have (a restored backup, say).
      if (this.revocations?.isGrantRevoked(family.grantId)) return { outcome: 'refused', reason: 'revoked' };
      const now = this.now();
      const decision = decideRefresh(family, { tokenHash: request.tokenHash, generation: presentedGeneration }, { clientId: request.client.clientId, now, ...(grace ? { grace } : {}) });
      switch (decision.kind) {
        case 'refused':
          return { outcome: 'refused', reason: decision.reason };
        case 'grace_retry': {
          const child = this.unseal(grace!, family);
          // Sealed under another key-encryption key (rotated within the window): refuse, revoke nothing.
          if (child === null) return { outcome: 'refused', reason: 'unknown' };
          const accessToken = request.mint(family);
          await publish([accessToken.event]);
          return { outcome: 'grace_retry', refreshToken: child, accessToken };
        }
        case 'reuse_detected': {
          const at = Math.floor(now / 1000);
          const events: DomainEvent[] = [
            {
              type: 'oauth.refresh_token.reuse_detected.v1',
              subject: family.grantId,
              data: {
                familyId: family.familyId,
                grantId: family.grantId,
                clientId: family.clientId,
                presentedTokenHash: request.tokenHash,
                presentedGeneration,
                currentGeneration: family.generation,
                detectedAt: at,
              },
            },
            grantRevoked(family.grantId, family.clientId, family.subject, 'refresh_token_reuse', at, request.client.accessTokenTtl ?? this.settings.ACCESS_TOKEN_TTL),
          ];
          // Whole seconds, as in the event: the row is exactly what folding the log gives.
          await writer.revokeGrant({ grantId: family.grantId, clientId: family.clientId, reason: 'refresh_token_reuse', revokedAt: at * 1000 });
          await publish(events);
          this.logger.warn({ familyId: family.familyId, grantId: family.grantId, clientId: family.clientId, presentedGeneration }, 'refresh token reuse: family revoked');
          return { outcome: 'reuse_detected' };
        }
        case 'rotate': {
          const child = randomRefreshToken();
          const at = Math.floor(now / 1000);
          const absoluteLeft = family.expiresAt;
          const idle = (request.client.refreshTokenIdleTtl ?? this.settings.REFRESH_TOKEN_IDLE_TTL) * 1000;
          const rotated: EventOf<'oauth.refresh_token.rotated.v1'> = {
            type: 'oauth.refresh_token.rotated.v1',
            subject: family.grantId,
            data: {
              familyId: family.familyId,
              grantId: family.grantId,
              clientId: family.clientId,
              parentTokenHash: request.tokenHash,
              generation: family.generation + 1,
              tokenHash: sha256Hash(child),
              rotatedAt: at,
              idleExpiresAt: Math.floor(Math.min(now + idle, absoluteLeft) / 1000),
            },
          };
          const next = evolveRefreshFamily(family, rotated)!;
          const graceSeconds = this.settings.REFRESH_GRACE_SECONDS;
          const nextGrace: StoredRefreshGrace | null =
            graceSeconds > 0 ? { parentTokenHash: request.tokenHash, until: now + graceSeconds * 1000, sealedChild: this.seal(child, next) } : null;
          const accessToken = request.mint(family);
          await writer.rotate(next, nextGrace, at * 1000);
          // The access token's event and the rotation's: one batch, one acknowledgement, under the row lock.
          await publish([accessToken.event, rotated]);
          return { outcome: 'rotated', refreshToken: child, accessToken };
        }
      }
    });
  }

  private async verifyCredentials(check: ResourceOwnerCredentials & { clientIp?: string }, correlationId: string | undefined): Promise<CredentialsResult> {
    if (!this.credentials) {
      // A token service wired without the identity service cannot check passwords: an outage, not a refusal.
      this.logger.error({ clientId: check.clientId }, 'password grant: no credential verifier is configured');
      throw new TemporarilyUnavailable('the identity service is unavailable, retry later');
    }
    try {
      // The request's correlation id travels with the check: the oauth.user.* events of this login carry it.
      const verdict = await this.credentials.verify(check, correlationId ? { correlationId } : {});
      if (verdict.outcome === 'authenticated') return { outcome: 'authenticated', subject: verdict.user.subject, authTime: verdict.authTime, groups: verdict.user.groups };
      return verdict.outcome === 'invalid_credentials' && verdict.reason !== undefined ? { outcome: 'refused', reason: verdict.reason } : { outcome: 'refused' };
    } catch (error) {
      if (error instanceof IdentityUnavailableError) throw new TemporarilyUnavailable('the identity service is unavailable, retry later');
      throw error;
    }
  }

  private async publish(events: DomainEvent[], correlationId: string | undefined): Promise<void> {
    // All handed to the publisher at once, in order: one batch, one acknowledgement to wait for.
    await Promise.all(events.map((event) => this.publisher.publish(event, correlationId ? { correlationId } : {})));
  }

  /** The child refresh token, sealed for the grace window and bound to its family and generation. */
  private seal(child: string, family: RefreshFamilyState): string {
    return this.sealing.encrypt(`${sealLabel(family)}${child}`);
  }

  /** The sealed child, or null when it cannot be opened with this key or belongs to another family generation. */
  private unseal(grace: StoredRefreshGrace, family: RefreshFamilyState): string | null {
    let opened: string;
    try {
      opened = this.sealing.decrypt(grace.sealedChild);
    } catch {
      this.logger.warn({ familyId: family.familyId }, 'grace window: the sealed child refresh token cannot be opened with the current key');
      return null;
    }
    const label = sealLabel(family);
    return opened.startsWith(label) ? opened.slice(label.length) : null;
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

function sealLabel(family: RefreshFamilyState): string {
  return `refresh-child:v1:${family.familyId}:${family.generation}:`;
}

function grantRevoked(
  grantId: string,
  clientId: string,
  subject: string | undefined,
  reason: EventOf<'oauth.grant.revoked.v1'>['data']['reason'],
  revokedAt: number,
  accessTokenTtl: number,
): EventOf<'oauth.grant.revoked.v1'> {
  // coversUntil: no token of a revoked grant is issued after revokedAt, so its last one expires by then.
  return {
    type: 'oauth.grant.revoked.v1',
    subject: grantId,
    data: { grantId, clientId, ...(subject === undefined ? {} : { subject }), reason, revokedAt, coversUntil: revokedAt + accessTokenTtl },
  };
}
