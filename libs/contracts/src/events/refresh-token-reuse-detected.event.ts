import { z } from 'zod';
import { Topics } from '../topics';
import { sha256Hash } from './common';

/**
 * A refresh token that had already been rotated was presented again outside the grace window: someone
 * holds a copy (RFC 9700 §4.14.2). The family is revoked (oauth.grant.revoked.v1 follows).
 */
export const refreshTokenReuseDetectedV1 = {
  type: 'oauth.refresh_token.reuse_detected.v1',
  topic: Topics.tokens,
  data: z
    .object({
      familyId: z.string().min(1),
      grantId: z.string().min(1),
      clientId: z.string().min(1),
      presentedTokenHash: sha256Hash,
      presentedGeneration: z.number().int().nonnegative(),
      currentGeneration: z.number().int().nonnegative(),
      detectedAt: z.number().int().nonnegative(),
    })
    .strict(),
} as const;
