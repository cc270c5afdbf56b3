import { z } from 'zod';
import { Topics } from '../topics';
import { sha256Hash } from './common';

/**
 * Why a login attempt failed.
 * The directory's own refusals (a compatible addition: new values, nothing removed; all counted like
 * `invalid_credentials`), from the OpenLDAP ppolicy response control or AD's bind sub-code:
 * `password_expired` (ppolicy, AD 532), `must_change_password` (ppolicy changeAfterReset, AD 773),
 * `account_locked` (the directory's lockout: ppolicy, AD 775; our own throttle is `locked`),
 * `account_disabled` (AD 533), `account_expired` (AD 701), `not_permitted_now` (AD 530, logon hours),
 * `not_permitted_here` (AD 531, workstation), `no_such_user` (AD 525: the entry vanished between search and bind).
 * - `invalid_credentials`: wrong password or unknown user (one bind, or none for an unknown user); counted.
 * - `locked`: refused before any bind, because the username or the client IP is in a growing delay or a lockout.
 * - `directory_unavailable`: the directory could not answer; never counted as a failed login.
 * - `counter_store_unavailable`: the brute-force counters (Redis) could not be read or written; never counted,
 *   and the attempt is refused (fail closed) whatever the password.
 */
export const authenticationFailureReason = z.enum([
  'invalid_credentials',
  'locked',
  'directory_unavailable',
  'counter_store_unavailable',
  'password_expired',
  'must_change_password',
  'account_locked',
  'account_disabled',
  'account_expired',
  'not_permitted_now',
  'not_permitted_here',
  'no_such_user',
]);
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
      /** `invalid_credentials` and the directory's refusals: failures of this username within the counting window, this one included. */
      usernameFailures: z.number().int().positive().optional(),
      /** `locked`: what is locked (the username, the client IP) and until when (seconds since the epoch). */
      lockedBy: z.enum(['username', 'client_ip']).optional(),
      lockedUntil: z.number().int().nonnegative().optional(),
    })
    .strict(),
} as const;
