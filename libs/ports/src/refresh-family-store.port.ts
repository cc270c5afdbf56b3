import type { GrantRevocationReason } from '@authz/contracts';
import type { RefreshFamilyState, RefreshGrace } from '@authz/oauth';

/** The grace window's retry answer, kept sealed (encrypted and bound to its family and generation). */
export type StoredRefreshGrace = RefreshGrace & { sealedChild: string };

/** A family, locked for the duration of the work, with the generation of the token that was presented. */
export type LockedRefreshFamily = {
  family: RefreshFamilyState;
  grace: StoredRefreshGrace | null;
  presentedGeneration: number;
};

/** The writes allowed inside `RefreshFamilyStore.exchange` (same transaction, family locked). */
export interface RefreshFamilyWriter {
  /** Writes the family's new state and grace window (null closes it). */
  save(family: RefreshFamilyState, grace: StoredRefreshGrace | null): Promise<void>;
  /**
   * A rotation, in one step: records the family's new current token (`family.currentTokenHash`, of
   * generation `family.generation`, issued at `issuedAt`) and writes the family's new state and grace window.
   */
  rotate(family: RefreshFamilyState, grace: StoredRefreshGrace | null, issuedAt: number): Promise<void>;
  /** Records the grant as revoked and revokes every family of it. */
  revokeGrant(revocation: GrantRevocation): Promise<void>;
}

/** What a refresh token belongs to (RFC 7009: the revocation endpoint checks the client and finds the grant). */
export type RefreshTokenOwner = { familyId: string; grantId: string; clientId: string; subject: string; expiresAt: number; revoked: boolean };

export type GrantRevocation = { grantId: string; clientId: string; reason: GrantRevocationReason; revokedAt: number };

/**
 * Refresh token families (PostgreSQL; PGlite in the all-in-one mode), keyed by the tokens' SHA-256.
 * Each method runs in one transaction whose last step is `confirm`/`work` (publishing the events and
 * awaiting the log's acknowledgement): a rejection rolls everything back, so no state exists without
 * its event. Times are milliseconds since the epoch.
 * An unreachable database rejects with DatabaseUnavailableError.
 */
export interface RefreshFamilyStore {
  /**
   * Inserts a family and its first token, then `confirm`s. `grant_revoked` (nothing written, nothing
   * confirmed) when the family's grant was revoked already.
   */
  create(family: RefreshFamilyState, confirm: () => Promise<void>): Promise<'created' | 'grant_revoked'>;
  /**
   * Finds the family of the token (null: unknown token), locks it (`SELECT … FOR UPDATE`: concurrent
   * exchanges of one family run one after the other) and runs `work`, which decides and writes.
   */
  exchange<T>(tokenHash: string, work: (found: LockedRefreshFamily | null, writer: RefreshFamilyWriter) => Promise<T>): Promise<T>;
  /**
   * Records the grant as revoked and revokes its families, then `confirm`s with the grant's subject
   * when a family knew it. A grant revoked already is left as it is and not confirmed again.
   */
  revokeGrant(revocation: GrantRevocation, confirm: (found: { subject?: string }) => Promise<void>): Promise<void>;
  /** The family and grant of a refresh token ever issued (current or rotated), or null; no lock. */
  findToken(tokenHash: string): Promise<RefreshTokenOwner | null>;
}
