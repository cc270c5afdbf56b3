import { z } from 'zod';
import { Topics } from '../topics';
import { grantType, sha256Hash } from './common';

/**
 * A refresh token family was opened: its first token (generation 0) was issued (RFC 6749 §1.5, RFC 9700
 * §4.14.2). Carries everything the family's state is rebuilt from, and the token's SHA-256, never its value.
 */
export const refreshTokenIssuedV1 = {
  type: 'oauth.refresh_token.issued.v1',
  topic: Topics.tokens,
  data: z
    .object({
      familyId: z.string().min(1),
      grantId: z.string().min(1),
      grantType,
      clientId: z.string().min(1),
      /** The resource owner (`sub`). */
      sub: z.string().min(1),
      /** The scope of the family (RFC 6749 §6: every rotated token keeps it). */
      scope: z.string(),
      /** The audiences access tokens of this family may carry (RFC 8707). */
      audience: z.array(z.string().min(1)).min(1),
      /** When the user authenticated, seconds since the epoch, if a user did. */
      authTime: z.number().int().nonnegative().optional(),
      generation: z.literal(0),
      tokenHash: sha256Hash,
      issuedAt: z.number().int().nonnegative(),
      /** Absolute expiry of the family, seconds since the epoch. */
      expiresAt: z.number().int().positive(),
      /** The family dies if unused until then (idle lifetime), seconds since the epoch. */
      idleExpiresAt: z.number().int().positive(),
    })
    .strict(),
} as const;
