import { Injectable } from '@nestjs/common';
import { activeIntrospection, INACTIVE, type IntrospectionResponse } from '@authz/oauth';
import { RevocationFeedService } from '@authz/projections';
import { AccessTokenVerifier } from './access-token-verifier';

/**
 * RFC 7662 introspection of RFC 9068 access tokens, verified locally and checked against the in-memory
 * revocation set: no database read on this path. Anything that is not a valid, unexpired, unrevoked
 * token of ours is exactly `{ "active": false }` (§2.2).
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly revocations: RevocationFeedService,
  ) {}

  async introspect(token: string): Promise<IntrospectionResponse> {
    const claims = await this.verifier.verify(token);
    return claims && !this.revocations.isRevoked(claims) ? activeIntrospection(claims) : INACTIVE;
  }
}
