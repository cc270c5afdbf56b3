import { CLIENT_ASSERTION_ALGORITHMS } from './clients/client-authentication';
import { CLIENT_AUTH_METHODS, CODE_CHALLENGE_METHODS } from './clients/registered-client';
import { GRANT_HANDLERS, supportedGrantTypes } from './grants/grant-registry';

/** What this deployment serves besides the grants, as the services know it from their settings and wiring. */
export type MetadataOptions = {
  /** POST /register (RFC 7591) is served: REGISTRATION_INITIAL_ACCESS_TOKEN is set. */
  registrationEndpoint?: boolean;
  /** The token endpoint accepts private_key_jwt (RFC 7523): it has a jti replay store. */
  privateKeyJwt?: boolean;
};

/**
 * Authorization server metadata (RFC 8414 §2), derived from what the suite actually serves:
 * a grant, method or endpoint appears here only once it is implemented and enabled.
 */
export function authorizationServerMetadata(issuer: string, options: MetadataOptions = {}) {
  const base = issuer.replace(/\/$/, '');
  const secretMethods: readonly string[] = CLIENT_AUTH_METHODS.filter((method) => method === 'client_secret_basic' || method === 'client_secret_post');
  // "none" (public clients) is advertised only once a grant served here accepts public clients.
  const publicClientsServed = Object.values(GRANT_HANDLERS).some((grant) => grant.allowsPublicClients);
  const tokenEndpointMethods = CLIENT_AUTH_METHODS.filter(
    (method) => secretMethods.includes(method) || (method === 'private_key_jwt' && options.privateKeyJwt === true) || (method === 'none' && publicClientsServed),
  );
  const codeFlowServed = GRANT_HANDLERS.authorization_code !== undefined;
  return {
    issuer,
    ...(codeFlowServed ? { authorization_endpoint: `${base}/authorize` } : {}),
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    ...(options.registrationEndpoint ? { registration_endpoint: `${base}/register` } : {}),
    introspection_endpoint: `${base}/introspect`,
    // REQUIRED by RFC 8414; empty until the authorization endpoint serves a response type. `token`: the
    // legacy implicit flow (RFC 6749 §4.2), served by the authorization endpoint only to clients
    // registered for it (seed clients; RFC 9700 §2.1.2 advises against it).
    response_types_supported: codeFlowServed ? ['code', 'token'] : ([] as string[]),
    // RFC 8414 §2 uses RFC 7591's grant type values, where `implicit` goes with response type `token`.
    grant_types_supported: codeFlowServed ? [...supportedGrantTypes(), 'implicit'] : supportedGrantTypes(),
    token_endpoint_auth_methods_supported: tokenEndpointMethods,
    // RFC 8414 §2: REQUIRED when private_key_jwt is supported; "none" MUST NOT be listed.
    ...(options.privateKeyJwt ? { token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS] } : {}),
    introspection_endpoint_auth_methods_supported: [...secretMethods],
    // RFC 7009 via RFC 8414 §2: a public client revokes its own tokens naming itself with client_id (none).
    revocation_endpoint: `${base}/revoke`,
    revocation_endpoint_auth_methods_supported: [...secretMethods, ...(publicClientsServed ? ['none'] : [])],
    ...(codeFlowServed
      ? {
          // RFC 7636 via RFC 8414 §2: plain is refused unless a client is registered for it (RFC 9700 §2.1.1).
          code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
          // RFC 9207 §3: every authorization response carries iss.
          authorization_response_iss_parameter_supported: true,
        }
      : {}),
  };
}
