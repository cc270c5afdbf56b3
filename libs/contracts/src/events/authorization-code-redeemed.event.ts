import { z } from 'zod';
import { Topics } from '../topics';
import { sha256Hash } from './common';

/** An authorization code was exchanged at the token endpoint (RFC 6749 §4.1.3), once. The code's hash only. */
export const authorizationCodeRedeemedV1 = {
  type: 'oauth.authorization_code.redeemed.v1',
  topic: Topics.tokens,
  data: z
    .object({
      codeHash: sha256Hash,
      grantId: z.string().min(1),
      clientId: z.string().min(1),
      sub: z.string().min(1),
      redeemedAt: z.number().int().nonnegative(),
    })
    .strict(),
} as const;
