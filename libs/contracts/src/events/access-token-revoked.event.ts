import { z } from 'zod';
import { Topics } from '../topics';

/**
 * Why one access token was revoked: by its client (RFC 7009 §2.1), or by an administrator.
 * Revoking a whole grant is oauth.grant.revoked.v1.
 */
export const accessTokenRevocationReason = z.enum(['client_request', 'admin_request']);
export type AccessTokenRevocationReason = z.infer<typeof accessTokenRevocationReason>;

/**
 * One access token was revoked (RFC 7009): from `revokedAt`, every introspection replica answers
 * `{"active": false}` for it and every resource-server guard refuses it. Identified by its `jti`, never
 * by its value. Keyed by the grant id, like every event of the grant.
 */
export const accessTokenRevokedV1 = {
  type: 'oauth.access_token.revoked.v1',
  topic: Topics.revocations,
  data: z
    .object({
      jti: z.string().min(1),
      grantId: z.string().min(1),
      clientId: z.string().min(1),
      /** The token's `sub` (the resource owner, or the client for client_credentials). */
      sub: z.string().min(1),
      reason: accessTokenRevocationReason,
      /** Seconds since the epoch, like every time in the token events. */
      revokedAt: z.number().int().nonnegative(),
      /** The token's `exp` (seconds since the epoch): readers forget the revocation after it. */
      expiresAt: z.number().int().positive(),
    })
    .strict(),
} as const;
