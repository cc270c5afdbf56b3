import { z } from 'zod';
import { Topics } from '../topics';

/**
 * Why a grant was revoked. `code_replay`: an authorization code was used twice (RFC 6749 §4.1.2);
 * `refresh_token_reuse`: a rotated refresh token came back (RFC 9700 §4.14.2); the others are for the
 * revocation service (RFC 7009 by the client, the user's connected apps, an administrator).
 */
export const grantRevocationReason = z.enum(['code_replay', 'refresh_token_reuse', 'client_request', 'user_request', 'admin_request']);
export type GrantRevocationReason = z.infer<typeof grantRevocationReason>;

/**
 * A grant was revoked: every token issued under it (access tokens carry its id in
 * oauth.access_token.issued.v1, refresh families in oauth.refresh_token.issued.v1) is void from `revokedAt`.
 */
export const grantRevokedV1 = {
  type: 'oauth.grant.revoked.v1',
  // On oauth.revocations (first on oauth.tokens, before any release): read as a broadcast by every replica.
  topic: Topics.revocations,
  data: z
    .object({
      grantId: z.string().min(1),
      clientId: z.string().min(1),
      /** The resource owner of the grant, when known (a code replay after the replay window knows none). */
      subject: z.string().min(1).optional(),
      reason: grantRevocationReason,
      /** Seconds since the epoch. */
      revokedAt: z.number().int().nonnegative(),
      /**
       * Seconds since the epoch after which no token of the grant can be valid any more (the last access
       * token it may have issued expires then): readers keep the revocation in memory until this
       * instant, never longer. Added compatibly; a reader that meets an event without it keeps the
       * revocation for its longest accepted access-token lifetime after `revokedAt`.
       */
      coversUntil: z.number().int().positive().optional(),
    })
    .strict(),
} as const;
