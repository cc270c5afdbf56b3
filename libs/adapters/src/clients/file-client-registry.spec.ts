import { resolve } from 'node:path';
import { FileClientRegistry } from './file-client-registry';

const client = (extra: Record<string, unknown>) =>
  JSON.stringify({
    clients: [{ client_id: 'c', client_name: 'C', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], scope: 'profile', redirect_uris: ['https://app.example/cb'], ...extra }],
  });

const refusal = (extra: Record<string, unknown>) => {
  try {
    FileClientRegistry.parse(client(extra), 'seed.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the seed file to be refused');
};

describe('FileClientRegistry: seed clients validated like registered ones (RFC 7591), plus what only seeds may have', () => {
  it('reads response_types, require_pkce, allow_plain_pkce, skip_consent, lifetimes and jwks', () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' };
    const clients = FileClientRegistry.parse(
      client({
        client_secret_hash: undefined,
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['authorization_code', 'refresh_token', 'implicit'],
        response_types: ['code', 'token'],
        default_scope: 'profile',
        require_pkce: false,
        allow_plain_pkce: true,
        skip_consent: true,
        access_token_ttl: 300,
        refresh_token_ttl: 86_400,
        refresh_token_idle_ttl: 3600,
        jwks: { keys: [jwk] },
      }),
    );
    expect(clients.get('c')).toEqual({
      clientId: 'c',
      clientName: 'C',
      tokenEndpointAuthMethod: 'private_key_jwt',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code', 'token'],
      scope: ['profile'],
      defaultScope: ['profile'],
      audience: [],
      redirectUris: ['https://app.example/cb'],
      accessTokenTtl: 300,
      refreshTokenTtl: 86_400,
      refreshTokenIdleTtl: 3600,
      requirePkce: false,
      allowPlainPkce: true,
      skipConsent: true,
      jwks: { keys: [jwk] },
    });
  });

  it('keeps the secret hash (sha256: or hmac-sha256:) of a confidential seed client, and a private-use scheme redirect URI', () => {
    const hash = 'sha256:oB2Hakm55IMeUFLx-aqS5BRPBChVgmVnoscvl6bPXYY';
    const clients = FileClientRegistry.parse(client({ token_endpoint_auth_method: 'client_secret_basic', client_secret_hash: hash, redirect_uris: ['com.example.app:/cb'] }));
    expect(clients.get('c')).toMatchObject({ secretHash: hash, redirectUris: ['com.example.app:/cb'], responseTypes: ['code'] });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a redirect URI with a fragment', { redirect_uris: ['https://app.example/cb#fragment'] }, 'invalid_redirect_uri: a redirect URI must be an absolute https URL'],
    ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri: a redirect URI must be an absolute https URL'],
    ['a plain http redirect URI', { redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri: a redirect URI must be an absolute https URL'],
    ['a data: redirect URI', { redirect_uris: ['data:text/html,x'] }, 'invalid_redirect_uri: a redirect URI must be an absolute https URL'],
    ['the code flow without a redirect URI', { redirect_uris: [] }, 'invalid_redirect_uri: the authorization_code grant requires at least one redirect URI'],
    ['response type token without the implicit grant', { response_types: ['code', 'token'] }, 'invalid_client_metadata: grant_types and response_types are inconsistent: implicit goes with the response type token'],
    ['the implicit grant without response type token', { grant_types: ['authorization_code', 'implicit'] }, 'invalid_client_metadata: grant_types and response_types are inconsistent: implicit goes with the response type token'],
    ['code without authorization_code', { grant_types: ['implicit'], response_types: ['code', 'token'] }, 'invalid_client_metadata: grant_types and response_types are inconsistent: authorization_code goes with the response type code'],
    ['a public client with client_credentials', { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }, 'invalid_client_metadata: a public client (token_endpoint_auth_method none) cannot use the client_credentials grant'],
    ['a public client with plain PKCE', { allow_plain_pkce: true }, 'invalid_client_metadata: a public client cannot use plain PKCE'],
    ['a default scope beyond the scope', { default_scope: 'admin' }, 'invalid_client_metadata: default_scope must be a subset of scope'],
    ['a refresh token lifetime out of range', { refresh_token_ttl: 10 }, 'invalid_client_metadata: refresh_token_ttl: Number must be greater than or equal to 60'],
    ['jwks and jwks_uri together', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] }, jwks_uri: 'https://app.example/jwks' }, 'invalid_client_metadata: jwks and jwks_uri must not both be present'],
    ['a secret hash for a public client', { client_secret_hash: 'sha256:oB2Hakm55IMeUFLx-aqS5BRPBChVgmVnoscvl6bPXYY' }, 'client_secret_hash is required for client_secret_basic and client_secret_post and refused otherwise'],
    ['an unknown member (a typo)', { skip_consnet: true }, 'unknown members: skip_consnet'],
    ['an unknown grant type', { grant_types: ['device_code'] }, "invalid_client_metadata: grant_types.0: Invalid input"],
  ])('refuses %s', (_name, extra, message) => {
    expect(refusal(extra)).toContain(`seed.json: clients.0 (c): ${message}`);
  });

  it('loads the demo clients of the code flow from the seed file', async () => {
    const registry = new FileClientRegistry(resolve(__dirname, '../../../../deploy/seed/clients.json'));
    expect((await registry.find('demo-portal'))?.skipConsent).toBe(true);
    expect((await registry.find('demo-spa'))?.tokenEndpointAuthMethod).toBe('none');
    expect((await registry.find('demo-web'))?.redirectUris).toEqual(['http://127.0.0.1:8091/callback']);
  });

  it('loads the legacy implicit seed client: grant type implicit (RFC 7591 §2.1) is not a token endpoint grant', async () => {
    const registry = new FileClientRegistry(resolve(__dirname, '../../../../deploy/seed/clients.json'));
    expect(await registry.find('demo-legacy-implicit')).toEqual({
      clientId: 'demo-legacy-implicit',
      clientName: 'Demo legacy browser app (implicit flow)',
      tokenEndpointAuthMethod: 'none',
      grantTypes: [],
      responseTypes: ['token'],
      scope: ['profile', 'api:read'],
      defaultScope: ['profile'],
      audience: ['https://api.example.org'],
      redirectUris: ['http://127.0.0.1:8094/callback'],
    });
  });
});
