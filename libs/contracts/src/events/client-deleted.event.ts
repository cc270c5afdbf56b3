import { z } from 'zod';
import { Topics } from '../topics';

/** A client was deleted (RFC 7592 §2.3, or the admin CLI). Its id is never issued again. */
export const clientDeletedV1 = {
  type: 'oauth.client.deleted.v1',
  topic: Topics.clients,
  data: z
    .object({
      clientId: z.string().min(1),
      revision: z.number().int().positive(),
      deletedAt: z.number().int().nonnegative(),
    })
    .strict(),
} as const;
