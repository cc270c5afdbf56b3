import { z } from 'zod';
import { Topics } from '../topics';
import { sha256Hash } from './common';

/**
 * An authorization code was issued (RFC 6749 §4.1.2) at the end of the login and consent pages.
 * Subject: the grant id the code opens (the tokens redeemed from it carry the same grant id).
 * Carries the SHA-256 of the code, never the code; nor the PKCE challenge.
 */
export const authorizationCodeIssuedV1 = {
  type: 'oauth.authorization_code.issued.v1',
  topic: Topics.tokens,
  data: z
    .object({
      grantId: z.string().min(1),
      clientId: z.string().min(1),
      /** The user who authorized. */
      sub: z.string().min(1),
      scope: z.string(),
      redirectUri: z.string().min(1),
      codeHash: sha256Hash,
      /** The PKCE method (`S256`, or `plain` for a client registered for it); absent without PKCE. */
      pkceMethod: z.enum(['S256', 'plain']).optional(),
      /** When the user authenticated, seconds since the epoch. */
      authTime: z.number().int().nonnegative(),
      issuedAt: z.number().int().nonnegative(),
      expiresAt: z.number().int().positive(),
    })
    .strict(),
} as const;
