import type { z } from 'zod';
import { accessTokenIssuedV1 } from './access-token-issued.event';
import { signingKeyPublishedV1 } from './signing-key-published.event';
import { authorizationCodeIssuedV1 } from './authorization-code-issued.event';
import { consentGrantedV1 } from './consent-granted.event';
import { refreshTokenIssuedV1 } from './refresh-token-issued.event';
import { refreshTokenRotatedV1 } from './refresh-token-rotated.event';
import { refreshTokenReuseDetectedV1 } from './refresh-token-reuse-detected.event';
import { authorizationCodeRedeemedV1 } from './authorization-code-redeemed.event';
import { grantRevokedV1 } from './grant-revoked.event';
import { accessTokenRevokedV1 } from './access-token-revoked.event';
import { userAuthenticatedV1 } from './user-authenticated.event';
import { userAuthenticationFailedV1 } from './user-authentication-failed.event';
import { clientRegisteredV1 } from './client-registered.event';
import { clientUpdatedV1 } from './client-updated.event';
import { clientDeletedV1 } from './client-deleted.event';
import { signingKeyActivatedV1 } from './signing-key-activated.event';
import { signingKeyPublishedV2 } from './signing-key-published-v2.event';
import { signingKeyRetiredV1 } from './signing-key-retired.event';
import { signingKeyRevokedV1 } from './signing-key-revoked.event';

/**
 * The one registry of event types: the closed union is derived from it, so a `switch` over
 * `DomainEvent['type']` that forgets a type fails to compile (see `assertNever`).
 * Adding an event: one file in this folder, one line here. A breaking change is a new `.vN` entry
 * plus an upcaster; a published type is never edited or removed.
 */
export const EVENT_DEFINITIONS = {
  [accessTokenIssuedV1.type]: accessTokenIssuedV1,
  [signingKeyPublishedV1.type]: signingKeyPublishedV1,
  [authorizationCodeIssuedV1.type]: authorizationCodeIssuedV1,
  [consentGrantedV1.type]: consentGrantedV1,
  [refreshTokenIssuedV1.type]: refreshTokenIssuedV1,
  [refreshTokenRotatedV1.type]: refreshTokenRotatedV1,
  [refreshTokenReuseDetectedV1.type]: refreshTokenReuseDetectedV1,
  [authorizationCodeRedeemedV1.type]: authorizationCodeRedeemedV1,
  [grantRevokedV1.type]: grantRevokedV1,
  [userAuthenticatedV1.type]: userAuthenticatedV1,
  [userAuthenticationFailedV1.type]: userAuthenticationFailedV1,
  [clientRegisteredV1.type]: clientRegisteredV1,
  [clientUpdatedV1.type]: clientUpdatedV1,
  [clientDeletedV1.type]: clientDeletedV1,
  [signingKeyPublishedV2.type]: signingKeyPublishedV2,
  [signingKeyActivatedV1.type]: signingKeyActivatedV1,
  [signingKeyRetiredV1.type]: signingKeyRetiredV1,
  [signingKeyRevokedV1.type]: signingKeyRevokedV1,
  [accessTokenRevokedV1.type]: accessTokenRevokedV1,
} as const;

export type EventType = keyof typeof EVENT_DEFINITIONS;

/** The closed, discriminated union of every event's type and payload. */
export type DomainEvent = {
  [T in EventType]: { type: T; subject: string; data: z.infer<(typeof EVENT_DEFINITIONS)[T]['data']> };
}[EventType];

export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

export const EVENT_TYPES = Object.keys(EVENT_DEFINITIONS) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_DEFINITIONS, value);
}

export function topicOf(type: EventType) {
  return EVENT_DEFINITIONS[type].topic;
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
