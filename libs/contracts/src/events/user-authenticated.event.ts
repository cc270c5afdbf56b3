import { z } from 'zod';
import { Topics } from '../topics';
import { sha256Hash } from './common';

/**
 * A user proved their password to the identity service (one LDAP bind as the user succeeded).
 * Envelope subject (and Kafka key): `usernameHash`, the same as the user's failed attempts, so the
 * success that resets the failure counters is ordered after them. Never the password.
 */
export const userAuthenticatedV1 = {
  type: 'oauth.user.authenticated.v1',
  topic: Topics.identity,
  data: z
    .object({
      /** sha256Hash of the username as typed, normalized (Unicode NFKC, trimmed, inner spaces collapsed, lower case). A pseudonym, not anonymity: usernames are guessable. */
      usernameHash: sha256Hash,
      /** The user's stable subject (the `sub` claim), from the directory. */
      subject: z.string().min(1),
      /** The client the user logged in to. */
      clientId: z.string().min(1),
      /** sha256Hash of the end user's IP as the calling service saw it, when it was given. Correlates attempts; not anonymous (IPv4 is enumerable). */
      clientIpHash: sha256Hash.optional(),
      /** When the authentication happened, seconds since the epoch (the `auth_time` claim). */
      authTime: z.number().int().nonnegative(),
      /** The password has expired and this login used one of the directory's grace logins: how many are left (ppolicy). */
      graceLoginsRemaining: z.number().int().nonnegative().optional(),
    })
    .strict(),
} as const;
