import { InvalidGrant } from '../errors';
import { parameterValues, requireParameter } from '../form';
import { sha256Hash } from '../hash';
import { parseResources, resolveAudience } from '../resource';
import { narrowScope, parseScope, responseScope } from '../scope';
import type { GrantHandler } from './grant-handler';

/**
 * Refresh token grant (RFC 6749 §6) with rotation on every use (RFC 9700 §4.14.2): the presented token
 * must be its family's current one; its child replaces it. A token already rotated comes back only
 * from a copy: the family is revoked. A retry of the parent within the grace window
 * (REFRESH_GRACE_SECONDS) receives the same child, so parallel refreshes of one session do not log it
 * out. The scope may be narrowed for the access token, never widened; the family keeps its scope.
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope', 'resource'],
  allowsPublicClients: true,
  async handle({ parameters, client, issuer, services }) {
    const refreshToken = requireParameter(parameters, 'refresh_token');
    const requestedScope = parameters.get('scope');
    if (requestedScope !== undefined) parseScope(requestedScope); // malformed: invalid_scope before anything changes
    const resources = parseResources(parameterValues(parameters, 'resource'));

    let granted: string[] = [];
    const result = await services.exchangeRefreshToken({
      tokenHash: sha256Hash(refreshToken),
      client,
      mint: (family) => {
        granted = narrowScope(requestedScope, family.scopes);
        return issuer.prepareAccessToken({
          client,
          grantType: 'refresh_token',
          grantId: family.grantId,
          subject: family.subject,
          scopes: granted,
          audience: resolveAudience(resources, family.audience, family.audience),
          ...(family.authTime === undefined ? {} : { authTime: family.authTime }),
        });
      },
    });
    if (result.outcome === 'reuse_detected' || result.outcome === 'refused') {
      throw new InvalidGrant('the refresh token is invalid, expired or revoked');
    }
    const scope = responseScope(requestedScope, granted);
    return {
      access_token: result.accessToken.accessToken,
      token_type: 'Bearer',
      expires_in: result.accessToken.expiresIn,
      refresh_token: result.refreshToken,
      ...(scope === undefined ? {} : { scope }),
    };
  },
};
