import { z } from 'zod';
import { Topics } from '../topics';
import { sha256Hash } from './common';

/**
 * A refresh token was exchanged for its child (rotation on every use, RFC 9700 §4.14.2): the parent is
 * spent, the child is the family's only valid token. Hashes only.
 */
export const refreshTokenRotatedV1 = {
  type: 'oauth.refresh_token.rotated.v1',
  topic: Topics.tokens,
  data: z
    .object({
      familyId: z.string().min(1),
      grantId: z.string().min(1),
      clientId: z.string().min(1),
      parentTokenHash: sha256Hash,
      /** The child's generation (the parent's plus one). */
      generation: z.number().int().positive(),
      tokenHash: sha256Hash,
      rotatedAt: z.number().int().nonnegative(),
      idleExpiresAt: z.number().int().positive(),
    })
    .strict(),
} as const;
