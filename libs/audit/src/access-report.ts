import type { AccessAtT, AccessParty } from './access-at.fold';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The answer as the CLI and the API give it: the instants as RFC 3339 UTC strings, nothing else added. */
export function renderAccess(answer: AccessAtT) {
  const party: AccessParty = answer.party;
  return {
    at: iso(answer.at),
    ...('user' in party ? { user: party.user } : { client: party.client }),
    grants: answer.grants.map((grant) => ({
      grant_id: grant.grantId,
      client_id: grant.clientId,
      subject: grant.subject,
      access_tokens: grant.accessTokens.map((token) => ({ jti: token.jti, scope: token.scope, audience: token.audience, issued_at: iso(token.issuedAt), expires_at: iso(token.expiresAt), kid: token.kid })),
      refresh_families: grant.refreshFamilies.map((family) => ({
        family_id: family.familyId,
        scope: family.scope,
        generation: family.generation,
        issued_at: iso(family.issuedAt),
        expires_at: iso(family.expiresAt),
        idle_expires_at: iso(family.idleExpiresAt),
      })),
      pending_code: grant.pendingCode && { issued_at: iso(grant.pendingCode.issuedAt), expires_at: iso(grant.pendingCode.expiresAt) },
    })),
  };
}

export type AccessReport = ReturnType<typeof renderAccess>;
