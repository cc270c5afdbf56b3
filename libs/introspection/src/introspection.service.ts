import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { ACCESS_TOKEN_JWT_TYPE, type AccessTokenClaims, activeIntrospection, INACTIVE, type IntrospectionResponse } from '@authz/oauth';
import { CLOCK, type Clock } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';
import { KeyRingService } from './key-ring.service';

const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;

/**
 * RFC 7662 introspection of RFC 9068 access tokens, verified locally: no database on this path.
 * Anything that is not a valid, unexpired token of ours is exactly `{ "active": false }` (§2.2).
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly keyRing: KeyRingService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async introspect(token: string): Promise<IntrospectionResponse> {
    const claims = await this.verify(token);
    return claims ? activeIntrospection(claims) : INACTIVE;
  }

  private async verify(token: string): Promise<AccessTokenClaims | null> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return null;
    }
    const found = typeof kid === 'string' ? this.keyRing.find(kid) : undefined;
    if (!found) return null;
    try {
      const { payload } = await jwtVerify(token, found.key, {
        issuer: this.settings.ISSUER,
        typ: ACCESS_TOKEN_JWT_TYPE,
        // Only the algorithm of the key the kid names: no algorithm confusion (RFC 8725 §3.1).
        algorithms: [found.alg],
        requiredClaims: [...REQUIRED_CLAIMS],
        currentDate: this.clock.now(),
      });
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string') return null;
      return payload as unknown as AccessTokenClaims;
    } catch {
      return null;
    }
  }
}
