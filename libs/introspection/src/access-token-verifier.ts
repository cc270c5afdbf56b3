import { Inject, Injectable, Module } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { ACCESS_TOKEN_JWT_TYPE, type AccessTokenClaims } from '@authz/oauth';
import { CLOCK, type Clock } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';
import { KeyRingService } from './key-ring.service';

const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti', 'grant_id'] as const;

/**
 * Verifies one of our RFC 9068 access tokens locally, with the public keys learnt from the key events:
 * signature by the key its `kid` names (and only that key's algorithm), `typ` at+jwt, our issuer, not
 * expired, the RFC 9068 §2.2 claims plus `grant_id`. Revocation is not its business (see RevocationFeedService).
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly keyRing: KeyRingService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** The token's claims, or null for anything that is not a valid, unexpired access token of ours. */
  async verify(token: string): Promise<AccessTokenClaims | null> {
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
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string' || typeof payload.grant_id !== 'string') return null;
      return payload as unknown as AccessTokenClaims;
    } catch {
      return null;
    }
  }
}

/** Local verification of our access tokens (the key ring follows the key events); needs the event subscriber. */
@Module({ providers: [KeyRingService, AccessTokenVerifier], exports: [KeyRingService, AccessTokenVerifier] })
export class AccessTokenVerificationModule {}
