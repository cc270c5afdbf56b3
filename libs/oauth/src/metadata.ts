import { CLIENT_AUTH_METHODS } from './clients/registered-client';
import { GRANT_HANDLERS, supportedGrantTypes } from './grants/grant-registry';

/**
 * Authorization server metadata (RFC 8414 §2), derived from what the suite actually serves:
 * a grant or endpoint appears here only once it is implemented.
 */
export function authorizationServerMetadata(issuer: string, grantTypes: string[] = supportedGrantTypes()) {
  const base = issuer.replace(/\/$/, '');
  // The authorization endpoint serves response_type=code once the token endpoint redeems codes.
  // (response_type=token, the legacy implicit flow, is not advertised: RFC 9700 §2.1.2.)
  const codeFlow = grantTypes.includes('authorization_code');
  const secretMethods = CLIENT_AUTH_METHODS.filter((method) => method !== 'none');
  // "none" (public clients) is advertised only once a grant served here accepts public clients.
  const publicClientsServed = Object.values(GRANT_HANDLERS).some((grant) => grant.allowsPublicClients);
  return {
    issuer,
    ...(codeFlow ? { authorization_endpoint: `${base}/authorize` } : {}),
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    introspection_endpoint: `${base}/introspect`,
    // REQUIRED by RFC 8414; empty until the authorization endpoint serves a response type.
    response_types_supported: codeFlow ? ['code'] : ([] as string[]),
    grant_types_supported: [...grantTypes],
    token_endpoint_auth_methods_supported: publicClientsServed ? [...CLIENT_AUTH_METHODS] : secretMethods,
    introspection_endpoint_auth_methods_supported: secretMethods,
    ...(codeFlow
      ? {
          // RFC 7636 §4.2 / RFC 9700 §2.1.1: plain is refused unless a client is registered for it.
          code_challenge_methods_supported: ['S256'],
          // RFC 9207 §3: every authorization response carries iss.
          authorization_response_iss_parameter_supported: true,
        }
      : {}),
  };
}
