import { z } from 'zod';
import { Topics } from '../topics';
import { epochSeconds } from './signing-key.common';

/** Emergency: a signing key is withdrawn at once. Every token it signed is inactive from now on. */
export const signingKeyRevokedV1 = {
  type: 'oauth.signing_key.revoked.v1',
  topic: Topics.keys,
  data: z.object({ kid: z.string().min(1), revokedAt: epochSeconds }).strict(),
} as const;
