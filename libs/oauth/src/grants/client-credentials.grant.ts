import { parameterValues } from '../form';
import { parseResources, resolveAudience } from '../resource';
import { resolveRequestedScope, responseScope } from '../scope';
import type { GrantHandler } from './grant-handler';

/**
 * Client credentials grant (RFC 6749 §4.4). Confidential clients only (§4.4: "MUST only be used by
 * confidential clients"); no refresh token (§4.4.3: "A refresh token SHOULD NOT be included").
 */
export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  parameters: ['scope', 'resource'],
  allowsPublicClients: false,
  async handle({ parameters, client, issuer }) {
    const requestedScope = parameters.get('scope');
    const scopes = resolveRequestedScope(requestedScope, client.scope, client.defaultScope);
    const audience = resolveAudience(parseResources(parameterValues(parameters, 'resource')), client.audience);
    const issued = await issuer.issueAccessToken({ client, grantType: 'client_credentials', subject: client.clientId, scopes, audience });
    const scope = responseScope(requestedScope, scopes);
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, ...(scope === undefined ? {} : { scope }) };
  },
};
