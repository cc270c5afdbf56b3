import { z } from 'zod';
import { Topics } from '../topics';
import { epochSeconds, publicSigningJwk, signingAlgorithm } from './signing-key.common';

/**
 * A signing key of any supported algorithm was published (it appears in the JWK Set); it signs only
 * from its activation, at least one JWKS cache lifetime later. v1 carries ES256 keys alone and is still
 * emitted for them; v2 carries the others (EdDSA, RS256, PS256). Consumers handle both.
 */
export const signingKeyPublishedV2 = {
  type: 'oauth.signing_key.published.v2',
  topic: Topics.keys,
  data: z
    .object({
      kid: z.string().min(1),
      alg: signingAlgorithm,
      publicJwk: publicSigningJwk,
      createdAt: epochSeconds,
    })
    .strict(),
} as const;
