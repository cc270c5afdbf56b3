/**
 * The revocations a verifier must know, in memory, each kept only until the tokens it covers would
 * have expired anyway (then the token's own `exp` refuses it): the set is bounded by the number of
 * revocations in one token lifetime, not by history.
 *
 * - a grant (oauth.grant.revoked.v1): every access token carrying its `grant_id` is revoked;
 * - a token (oauth.access_token.revoked.v1): the access token with that `jti` is revoked.
 *
 * Times are seconds since the epoch (JWT NumericDate). Pure data structure: no I/O, no clock.
 * Shared by the suite's introspection and token replicas and by the resource-server guard.
 */
export class RevocationSet {
  private readonly grants = new Map<string, number>();
  private readonly tokens = new Map<string, number>();

  /** Revokes every token of the grant, remembered until `untilSeconds` (a later deadline extends it). */
  revokeGrant(grantId: string, untilSeconds: number): void {
    remember(this.grants, grantId, untilSeconds);
  }

  /** Revokes the access token `jti`, remembered until `untilSeconds` (its `exp`). */
  revokeToken(jti: string, untilSeconds: number): void {
    remember(this.tokens, jti, untilSeconds);
  }

  /** Whether a token with these claims is revoked (by its jti or by its grant). */
  isRevoked(claims: { jti: string; grant_id?: string | undefined }): boolean {
    return this.tokens.has(claims.jti) || (claims.grant_id !== undefined && this.grants.has(claims.grant_id));
  }

  isGrantRevoked(grantId: string): boolean {
    return this.grants.has(grantId);
  }

  /** Forgets the entries whose tokens have all expired at `nowSeconds`; returns how many went. */
  sweep(nowSeconds: number): number {
    return forgetExpired(this.grants, nowSeconds) + forgetExpired(this.tokens, nowSeconds);
  }

  get size(): { grants: number; tokens: number } {
    return { grants: this.grants.size, tokens: this.tokens.size };
  }
}

function remember(entries: Map<string, number>, id: string, untilSeconds: number): void {
  const known = entries.get(id);
  if (known === undefined || untilSeconds > known) entries.set(id, untilSeconds);
}

function forgetExpired(entries: Map<string, number>, nowSeconds: number): number {
  let forgotten = 0;
  for (const [id, until] of entries) {
    if (until <= nowSeconds) {
      entries.delete(id);
      forgotten += 1;
    }
  }
  return forgotten;
}
