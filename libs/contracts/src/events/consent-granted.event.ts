import { z } from 'zod';
import { Topics } from '../topics';

/**
 * A user agreed, on the consent page, that a client may have these scopes. Later requests for a
 * subset skip the page (the `consents` projection holds the union of everything granted).
 * Subject: the user (`sub`), so one user's consents stay in order.
 */
export const consentGrantedV1 = {
  type: 'oauth.consent.granted.v1',
  topic: Topics.consents,
  data: z
    .object({
      sub: z.string().min(1),
      clientId: z.string().min(1),
      scopes: z.array(z.string().min(1)).min(1),
      /** Seconds since the epoch. */
      grantedAt: z.number().int().nonnegative(),
    })
    .strict(),
} as const;
