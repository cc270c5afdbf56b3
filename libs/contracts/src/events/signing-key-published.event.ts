import { z } from 'zod';
import { Topics } from '../topics';

/** A public JSON Web Key (RFC 7517) for ES256 (P-256). A private member ("d") is refused by the schema. */
export const publicEcJwk = z
  .object({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.string().min(1),
    y: z.string().min(1),
    kid: z.string().min(1),
    alg: z.literal('ES256'),
    use: z.literal('sig'),
  })
  .strict();

/** A signing key became usable. Resource servers and introspection replicas learn keys from this event. */
export const signingKeyPublishedV1 = {
  type: 'oauth.signing_key.published.v1',
  topic: Topics.keys,
  data: z
    .object({
      kid: z.string().min(1),
      alg: z.literal('ES256'),
      publicJwk: publicEcJwk,
      createdAt: z.number().int().nonnegative(),
    })
    .strict(),
} as const;
