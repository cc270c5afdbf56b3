import { z } from 'zod';
import { Topics } from '../topics';
import { accessTokenGrantType, sha256Hash } from './common';

/**
 * An access token was issued. Emitted, and acknowledged by the log, before the token leaves the server.
 * Carries the token's jti and the SHA-256 of its value, never the value.
 */
export const accessTokenIssuedV1 = {
  type: 'oauth.access_token.issued.v1',
  topic: Topics.tokens,
  data: z
    .object({
      jti: z.string().min(1),
      grantId: z.string().min(1),
      /** `implicit` for a token of the legacy implicit flow (RFC 6749 §4.2), added compatibly. */
      grantType: accessTokenGrantType,
      clientId: z.string().min(1),
      /** The resource owner, or the client id for client_credentials (RFC 9068 §2.2). */
      sub: z.string().min(1),
      scope: z.string(),
      audience: z.array(z.string().min(1)).min(1),
      issuedAt: z.number().int().nonnegative(),
      expiresAt: z.number().int().positive(),
      tokenHash: sha256Hash,
    })
    .strict(),
} as const;
