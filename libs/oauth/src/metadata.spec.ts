import { authorizationServerMetadata } from './metadata';

describe('authorizationServerMetadata (RFC 8414 §2)', () => {
  it('describes what the suite serves', () => {
    expect(authorizationServerMetadata('https://auth.example.org')).toStrictEqual({
      issuer: 'https://auth.example.org',
      authorization_endpoint: 'https://auth.example.org/authorize',
      token_endpoint: 'https://auth.example.org/token',
      jwks_uri: 'https://auth.example.org/jwks',
      introspection_endpoint: 'https://auth.example.org/introspect',
      response_types_supported: ['code', 'token'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: 'https://auth.example.org/revoke',
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256', 'plain'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('keeps the issuer exactly as configured (RFC 8414 §3.3) and builds endpoints without a double slash', () => {
    expect(authorizationServerMetadata('https://example.org/tenant-a/')).toStrictEqual({
      issuer: 'https://example.org/tenant-a/',
      authorization_endpoint: 'https://example.org/tenant-a/authorize',
      token_endpoint: 'https://example.org/tenant-a/token',
      jwks_uri: 'https://example.org/tenant-a/jwks',
      introspection_endpoint: 'https://example.org/tenant-a/introspect',
      response_types_supported: ['code', 'token'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: 'https://example.org/tenant-a/revoke',
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256', 'plain'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('returns fresh arrays, so a caller cannot change the next answer', () => {
    const first = authorizationServerMetadata('https://auth.example.org');
    first.grant_types_supported.push('password');
    first.token_endpoint_auth_methods_supported.pop();

    const second = authorizationServerMetadata('https://auth.example.org');
    expect(second.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit']);
    expect(second.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
  });
});

describe('authorizationServerMetadata: what the deployment enables', () => {
  it('lists the registration endpoint and private_key_jwt with its algorithms only when they are served', () => {
    expect(authorizationServerMetadata('https://auth.example.org', { registrationEndpoint: true, privateKeyJwt: true })).toStrictEqual({
      issuer: 'https://auth.example.org',
      authorization_endpoint: 'https://auth.example.org/authorize',
      token_endpoint: 'https://auth.example.org/token',
      jwks_uri: 'https://auth.example.org/jwks',
      registration_endpoint: 'https://auth.example.org/register',
      introspection_endpoint: 'https://auth.example.org/introspect',
      response_types_supported: ['code', 'token'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: 'https://auth.example.org/revoke',
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256', 'plain'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('never lists "none" among the signing algorithms, nor an HMAC one (RFC 8414 §2)', () => {
    const algorithms = authorizationServerMetadata('https://auth.example.org', { privateKeyJwt: true }).token_endpoint_auth_signing_alg_values_supported;

    expect((algorithms as string[] | undefined)?.filter((alg) => alg === 'none' || alg.startsWith('HS'))).toEqual([]);
  });

  it('lists the authorization endpoint, response type code and iss (RFC 9207 §3) because the code grant is served', () => {
    expect(authorizationServerMetadata('https://auth.example.org')).toMatchObject({
      authorization_endpoint: 'https://auth.example.org/authorize',
      response_types_supported: ['code', 'token'],
      authorization_response_iss_parameter_supported: true,
    });
  });
});
