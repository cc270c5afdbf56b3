import { authenticateClient } from './clients/client-authentication';
import type { RegisteredClient } from './clients/registered-client';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from './errors';
import type { OAuthParameters } from './form';
import type { GrantHandler, GrantServices, TokenIssuer, TokenResponse } from './grants/grant-handler';
import { GRANT_HANDLERS } from './grants/grant-registry';

export type TokenEndpointRequest = {
  parameters: OAuthParameters;
  authorizationHeader: string | undefined;
};

export type TokenEndpointDeps = {
  findClient: (clientId: string) => Promise<RegisteredClient | null>;
  issuer: TokenIssuer;
  services: GrantServices;
};

/**
 * The token endpoint (RFC 6749 §3.2) as a list of named steps:
 * authenticate the client → find the grant → check the client may use it → dispatch.
 */
export async function handleTokenRequest(request: TokenEndpointRequest, deps: TokenEndpointDeps): Promise<TokenResponse> {
  const { client } = await authenticateClient(request.parameters, request.authorizationHeader, deps.findClient);
  const grant = findGrant(request.parameters);
  checkClientMayUseGrant(client, grant);
  return grant.handle({ parameters: request.parameters, client, issuer: deps.issuer, services: deps.services });
}

function findGrant(parameters: OAuthParameters): GrantHandler {
  const grantType = parameters.get('grant_type');
  if (grantType === undefined) throw new InvalidRequest("parameter 'grant_type' is missing");
  const grant = Object.prototype.hasOwnProperty.call(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType as keyof typeof GRANT_HANDLERS] : undefined;
  if (!grant) throw new UnsupportedGrantType(`grant_type '${grantType}' is not supported`);
  return grant;
}

function checkClientMayUseGrant(client: RegisteredClient, grant: GrantHandler): void {
  if (!client.grantTypes.includes(grant.grantType)) {
    throw new UnauthorizedClient(`the client is not registered for the ${grant.grantType} grant`);
  }
  if (!grant.allowsPublicClients && client.tokenEndpointAuthMethod === 'none') {
    throw new UnauthorizedClient(`the ${grant.grantType} grant is for confidential clients only`);
  }
}
