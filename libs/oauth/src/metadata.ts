import { CLIENT_AUTH_METHODS } from './clients/registered-client';
import { GRANT_HANDLERS, supportedGrantTypes } from './grants/grant-registry';

/**
 * Authorization server metadata (RFC 8414 §2), derived from what the suite actually serves:
 * a grant or endpoint appears here only once it is implemented.
 */
export function authorizationServerMetadata(issuer: string) {
  const base = issuer.replace(/\/$/, '');
  const secretMethods = CLIENT_AUTH_METHODS.filter((method) => method !== 'none');
  // "none" (public clients) is advertised only once a grant served here accepts public clients.
  const publicClientsServed = Object.values(GRANT_HANDLERS).some((grant) => grant.allowsPublicClients);
  return {
    issuer,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    introspection_endpoint: `${base}/introspect`,
    // REQUIRED by RFC 8414; empty until the authorization endpoint serves a response type.
    response_types_supported: [] as string[],
    grant_types_supported: supportedGrantTypes(),
    token_endpoint_auth_methods_supported: publicClientsServed ? [...CLIENT_AUTH_METHODS] : secretMethods,
    introspection_endpoint_auth_methods_supported: secretMethods,
  };
}
