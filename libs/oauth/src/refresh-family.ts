import type { DomainEvent } from '@authz/contracts';

/**
 * A refresh token family (RFC 9700 §4.14.2): the chain of refresh tokens that one grant's first refresh
 * token starts, one valid token at a time. Times are milliseconds since the epoch.
 *
 * "Decide, then evolve": `decideRefresh` reads the state and says what an exchange does;
 * `evolveRefreshFamily` folds the family's events (the same ones the token service publishes) into the
 * state, so the stored row is what the log says. The grace fields are not in the log (the child's value
 * must never be): a family rebuilt from the log has no grace window open, which is the safe side.
 */
export type RefreshFamilyState = {
  familyId: string;
  grantId: string;
  clientId: string;
  subject: string;
  scopes: string[];
  audience: string[];
  authTime?: number;
  /** The generation of the only valid token. */
  generation: number;
  currentTokenHash: string;
  createdAt: number;
  expiresAt: number;
  idleExpiresAt: number;
  revokedAt?: number;
};

/** The parent whose retries, until `until`, receive the same child again (REFRESH_GRACE_SECONDS). */
export type RefreshGrace = { parentTokenHash: string; until: number };

/** The token presented: its hash and the generation the family's token index says it had. */
export type PresentedRefreshToken = { tokenHash: string; generation: number };

export type RefreshDecision =
  /** The current token: rotate to a child. */
  | { kind: 'rotate' }
  /** A retry of the parent just rotated, within the grace window: the same child again, no new fork. */
  | { kind: 'grace_retry' }
  /** A token already rotated, outside the grace window: revoke the family (RFC 9700 §4.14.2). */
  | { kind: 'reuse_detected' }
  /** invalid_grant, nothing changes. */
  | { kind: 'refused'; reason: 'revoked' | 'expired' | 'client_mismatch' | 'unknown' };

export function decideRefresh(
  family: RefreshFamilyState,
  presented: PresentedRefreshToken,
  context: { clientId: string; now: number; grace?: RefreshGrace },
): RefreshDecision {
  if (family.revokedAt !== undefined) return { kind: 'refused', reason: 'revoked' };
  // RFC 6749 §6: the refresh token must have been issued to the authenticated client.
  if (family.clientId !== context.clientId) return { kind: 'refused', reason: 'client_mismatch' };
  if (context.now >= family.expiresAt) return { kind: 'refused', reason: 'expired' };
  if (presented.tokenHash === family.currentTokenHash) {
    return context.now >= family.idleExpiresAt ? { kind: 'refused', reason: 'expired' } : { kind: 'rotate' };
  }
  const grace = context.grace;
  if (grace && presented.tokenHash === grace.parentTokenHash && context.now < grace.until) return { kind: 'grace_retry' };
  if (presented.generation < family.generation) return { kind: 'reuse_detected' };
  return { kind: 'refused', reason: 'unknown' };
}

/** Folds one event into a family's state (null before its first event). Events of other aggregates leave it unchanged. */
export function evolveRefreshFamily(state: RefreshFamilyState | null, event: DomainEvent): RefreshFamilyState | null {
  switch (event.type) {
    case 'oauth.refresh_token.issued.v1': {
      const data = event.data;
      return {
        familyId: data.familyId,
        grantId: data.grantId,
        clientId: data.clientId,
        subject: data.sub,
        scopes: data.scope === '' ? [] : data.scope.split(' '),
        audience: [...data.audience],
        ...(data.authTime === undefined ? {} : { authTime: data.authTime }),
        generation: 0,
        currentTokenHash: data.tokenHash,
        createdAt: data.issuedAt * 1000,
        expiresAt: data.expiresAt * 1000,
        idleExpiresAt: data.idleExpiresAt * 1000,
      };
    }
    case 'oauth.refresh_token.rotated.v1':
      if (!state || event.data.familyId !== state.familyId) return state;
      return { ...state, generation: event.data.generation, currentTokenHash: event.data.tokenHash, idleExpiresAt: event.data.idleExpiresAt * 1000 };
    case 'oauth.grant.revoked.v1':
      if (!state || event.data.grantId !== state.grantId || state.revokedAt !== undefined) return state;
      return { ...state, revokedAt: event.data.revokedAt * 1000 };
    default:
      return state;
  }
}
