import { z } from 'zod';
import { Topics } from '../topics';
import { sha256Hash } from './common';

/**
 * Why a login attempt failed.
 * - `invalid_credentials`: wrong password or unknown user (one bind, or none for an unknown user); counted.
 * - `locked`: refused before any bind, because the username or the client IP is in a growing delay or a lockout.
 * - `directory_unavailable`: the directory could not answer; never counted as a failed login.
 * - `counter_store_unavailable`: the brute-force counters (Redis) could not be read or written; never counted,
 *   and the attempt is refused (fail closed) whatever the password.
 */
export const authenticationFailureReason = z.enum(['invalid_credentials', 'locked', 'directory_unavailable', 'counter_store_unavailable']);
export type AuthenticationFailureReason = z.infer<typeof authenticationFailureReason>;

/**
 * A login attempt failed. Envelope subject (and Kafka key): `usernameHash`. Never the password; the
 * user's subject is not given (an unknown username has none, and telling them apart would enumerate users).
 */
export const userAuthenticationFailedV1 = {
  type: 'oauth.user.authentication_failed.v1',
  topic: Topics.identity,
  data: z
    .object({
      /** sha256Hash of the normalized username (see oauth.user.authenticated.v1). */
      usernameHash: sha256Hash,
      clientId: z.string().min(1),
      /** sha256Hash of the end user's IP, when the calling service gave it. */
      clientIpHash: sha256Hash.optional(),
      reason: authenticationFailureReason,
      /** `invalid_credentials`: failures of this username within the counting window, this one included. */
      usernameFailures: z.number().int().positive().optional(),
      /** `locked`: what is locked (the username, the client IP) and until when (seconds since the epoch). */
      lockedBy: z.enum(['username', 'client_ip']).optional(),
      lockedUntil: z.number().int().nonnegative().optional(),
    })
    .strict(),
} as const;
