/**
 * What the dashboard needs of the revocation core: exactly RevocationService.revokeGrant of this lib
 * (marks the grant's refresh families revoked in PostgreSQL, publishes oauth.grant.revoked.v1 on
 * oauth.revocations and waits for Kafka's acknowledgement, applies it to the local revocation set).
 * The dashboard never writes a revocation itself: every one goes through this, so introspection and
 * the resource servers learn of it from the same event.
 */
export interface GrantRevoker {
  revokeGrant(
    input: { grantId: string; clientId: string; subject?: string; reason: 'user_request' | 'admin_request' | 'client_request' },
    correlationId?: string,
  ): Promise<void>;
}

/** Nest injection token of the GrantRevoker (DashboardModule.register binds it to RevocationService). */
export const GRANT_REVOKER = Symbol('GRANT_REVOKER');
