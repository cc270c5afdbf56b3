import { z } from 'zod';
import { Topics } from '../topics';
import { epochSeconds } from './signing-key.common';

/**
 * A signing key stopped signing at `retiredAt` (its successor became active). Its tokens still verify:
 * it stays in the JWK Set until `unpublishAt` (retirement plus the longest access-token lifetime).
 */
export const signingKeyRetiredV1 = {
  type: 'oauth.signing_key.retired.v1',
  topic: Topics.keys,
  data: z.object({ kid: z.string().min(1), retiredAt: epochSeconds, unpublishAt: epochSeconds }).strict(),
} as const;
