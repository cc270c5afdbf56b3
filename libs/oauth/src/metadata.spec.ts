import { authorizationServerMetadata } from './metadata';

describe('authorizationServerMetadata (RFC 8414 §2)', () => {
  it('describes what the suite serves', () => {
    expect(authorizationServerMetadata('https://auth.example.org')).toStrictEqual({
      issuer: 'https://auth.example.org',
      authorization_endpoint: 'https://auth.example.org/authorize',
      token_endpoint: 'https://auth.example.org/token',
      jwks_uri: 'https://auth.example.org/jwks',
      introspection_endpoint: 'https://auth.example.org/introspect',
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
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
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('advertises the authorization endpoint, code, S256 and iss (RFC 9207 §3) once the token endpoint redeems codes', () => {
    expect(authorizationServerMetadata('https://auth.example.org', ['authorization_code', 'client_credentials'])).toStrictEqual({
      issuer: 'https://auth.example.org',
      authorization_endpoint: 'https://auth.example.org/authorize',
      token_endpoint: 'https://auth.example.org/token',
      jwks_uri: 'https://auth.example.org/jwks',
      introspection_endpoint: 'https://auth.example.org/introspect',
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'client_credentials'],
      // (the client authentication methods are the clients issue's; asserted by the tests above)
      token_endpoint_auth_methods_supported: expect.any(Array),
      introspection_endpoint_auth_methods_supported: expect.any(Array),
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('returns fresh arrays, so a caller cannot change the next answer', () => {
    const first = authorizationServerMetadata('https://auth.example.org');
    first.grant_types_supported.push('password');
    first.token_endpoint_auth_methods_supported.pop();

    const second = authorizationServerMetadata('https://auth.example.org');
    expect(second.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials', 'password']);
    expect(second.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
  });
});
