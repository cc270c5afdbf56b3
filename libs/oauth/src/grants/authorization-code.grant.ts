import { InvalidGrant, OAuthError, TemporarilyUnavailable } from '../errors';
import { parameterValues, requireParameter } from '../form';
import { sha256Hash } from '../hash';
import { checkCodeVerifierSyntax, verifyPkce } from '../pkce';
import { parseResources, resolveAudience } from '../resource';
import { responseScope } from '../scope';
import type { GrantHandler } from './grant-handler';

/**
 * Authorization code grant, redemption side (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6, RFC 9700 §2.1.1).
 * Steps: read the parameters (a malformed one, or a resource outside the client's audience, is refused before the code is spent) → spend the code
 * (single use; a replay revokes the grant, RFC 6749 §4.1.2) → it must be this client's → redirect_uri
 * as in the authorization request → PKCE → audience → access token, and a refresh token when the
 * client may refresh → record the token, the refresh family and the redemption in one acknowledged batch.
 */
export const authorizationCodeGrant: GrantHandler = {
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier', 'resource'],
  allowsPublicClients: true,
  async handle({ parameters, client, issuer, services }) {
    const code = requireParameter(parameters, 'code');
    const redirectUri = parameters.get('redirect_uri');
    const verifier = parameters.get('code_verifier');
    checkCodeVerifierSyntax(verifier);
    const resources = parseResources(parameterValues(parameters, 'resource'));
    // RFC 8707 §2: what can be refused without the code is refused before it is spent (a spent code makes
    // the client's corrected retry a replay, which revokes the grant): each resource within the client's audience.
    if (resources.length > 0) resolveAudience(resources, client.audience);

    const codeHash = sha256Hash(code);
    const redemption = await services.redeemAuthorizationCode(codeHash);
    if (redemption.outcome === 'replayed') {
      // RFC 6749 §4.1.2: "the authorization server MUST deny the request and SHOULD revoke (when
      // possible) all tokens previously issued based on that authorization code."
      await services.revokeGrant({ grantId: redemption.grantId, clientId: redemption.clientId, reason: 'code_replay' });
      throw new InvalidGrant('the authorization code is invalid, expired or already used');
    }
    if (redemption.outcome === 'unknown') throw new InvalidGrant('the authorization code is invalid, expired or already used');
    const grant = redemption.grant;
    try {
      // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated confidential
      // client, or if the client is public, ensure that the code was issued to client_id in the request".
      if (grant.clientId !== client.clientId) throw new InvalidGrant('the authorization code was issued to another client');
      // RFC 6749 §4.1.3: REQUIRED, and identical, if it was included in the authorization request.
      if (grant.redirectUri !== undefined ? redirectUri !== grant.redirectUri : redirectUri !== undefined && !client.redirectUris.includes(redirectUri)) {
        throw new InvalidGrant('redirect_uri does not match the authorization request');
      }
      verifyPkce(grant, verifier, client);
      const audience = resolveAudience(resources, client.audience, grant.resources);

      // Signed now, recorded below with the redemption (and the refresh family) in one acknowledgement.
      const accessToken = issuer.prepareAccessToken({
        client,
        grantType: 'authorization_code',
        grantId: grant.grantId,
        subject: grant.subject,
        scopes: grant.scopes,
        audience,
        authTime: grant.authTime,
      });
      // RFC 9700 §4.14.2: a public client's refresh tokens are sender-constrained or rotated; ours always rotate.
      const refresh = client.grantTypes.includes('refresh_token')
        ? {
            client,
            grantId: grant.grantId,
            grantType: 'authorization_code' as const,
            subject: grant.subject,
            scopes: grant.scopes,
            // RFC 8707 §2.2: a refresh may ask for any resource of the original grant, not only this token's.
            audience: familyAudience(grant.resources, client.audience, client.clientId),
            authTime: grant.authTime,
          }
        : undefined;
      const refreshToken = await services.completeCodeRedemption(codeHash, grant, accessToken, refresh);
      // The token request names no scope (RFC 6749 §4.1.3) and the code does not record what the
      // authorization request asked for, only what was granted: the scope is always returned.
      const scope = responseScope(undefined, grant.scopes);
      return {
        access_token: accessToken.accessToken,
        token_type: 'Bearer',
        expires_in: accessToken.expiresIn,
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
        ...(scope === undefined ? {} : { scope }),
      };
    } catch (error) {
      // A refusal (a wrong verifier, another client's code) spends the code for good. An outage after
      // the spend answers 503, which promises that a retry may succeed: put the code back so the retry
      // is not taken for a replay (which would revoke the grant).
      if (!(error instanceof OAuthError) || error instanceof TemporarilyUnavailable) {
        await services.restoreAuthorizationCode(codeHash, grant).catch(() => undefined);
      }
      throw error;
    }
  },
};

/** The audiences a refresh family may serve: the authorization request's resources, else the client's. */
export function familyAudience(resources: readonly string[] | undefined, clientAudience: readonly string[], clientId: string): string[] {
  if (resources && resources.length > 0) return [...resources];
  return clientAudience.length > 0 ? [...clientAudience] : [clientId];
}
