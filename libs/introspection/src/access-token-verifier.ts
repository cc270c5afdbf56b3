import { hash } from 'node:crypto';
import { Inject, Injectable, Module } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { ACCESS_TOKEN_JWT_TYPE, type AccessTokenClaims } from '@authz/oauth';
import { CLOCK, type Clock } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';
import { KeyRingService } from './key-ring.service';

const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti', 'grant_id'] as const;

/** A token verified already: its claims and the key that verified it. */
type Verified = { claims: AccessTokenClaims; kid: string };

/**
 * Verifies one of our RFC 9068 access tokens locally, with the public keys learnt from the key events:
 * signature by the key its `kid` names (and only that key's algorithm), `typ` at+jwt, our issuer, not
 * expired, the RFC 9068 §2.2 claims plus `grant_id`. Revocation is not its business (see
 * RevocationFeedService).
 *
 * A resource server presents the same token again and again during its lifetime: verified tokens are
 * remembered (VERIFIED_TOKEN_CACHE_ENTRIES, keyed by the token's SHA-256, oldest first out), each until
 * its `exp` and only while the key that verified it is known (a revoked key drops its tokens at once).
 * A hit costs a hash and a map lookup instead of a signature verification.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verified = new Map<string, Verified>();
  private readonly capacity: number;

  constructor(
    private readonly keyRing: KeyRingService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.capacity = settings.VERIFIED_TOKEN_CACHE_ENTRIES;
  }

  /** The token's claims, or null for anything that is not a valid, unexpired access token of ours. */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    if (this.capacity === 0) return (await this.verifySignature(token))?.claims ?? null;
    // One-shot hash: no Hash object per request.
    const key = hash('sha256', token, 'base64url');
    const known = this.verified.get(key);
    if (known) {
      // Expired (exp ≤ now, as jwtVerify decides) or its key revoked: forgotten, and verified again (which refuses it).
      if (known.claims.exp > this.clock.now().getTime() / 1000 && this.keyRing.find(known.kid)) return known.claims;
      this.verified.delete(key);
    }
    const fresh = await this.verifySignature(token);
    if (!fresh) return null;
    if (this.verified.size >= this.capacity) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, fresh);
    return fresh.claims;
  }

  private async verifySignature(token: string): Promise<Verified | null> {
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
      return { claims: payload as unknown as AccessTokenClaims, kid: kid! };
    } catch {
      return null;
    }
  }
}

/** Local verification of our access tokens (the key ring follows the key events); needs the event subscriber. */
@Module({ providers: [KeyRingService, AccessTokenVerifier], exports: [KeyRingService, AccessTokenVerifier] })
export class AccessTokenVerificationModule {}
