import { z } from 'zod';
import { Topics } from '../topics';
import { epochSeconds, signingAlgorithm } from './signing-key.common';

/** A published signing key signs new tokens from `activatedAt` on (every token replica switches at that time). */
export const signingKeyActivatedV1 = {
  type: 'oauth.signing_key.activated.v1',
  topic: Topics.keys,
  data: z.object({ kid: z.string().min(1), alg: signingAlgorithm, activatedAt: epochSeconds }).strict(),
} as const;
