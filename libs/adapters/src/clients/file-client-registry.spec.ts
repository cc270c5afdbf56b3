import { resolve } from 'node:path';
import { FileClientRegistry } from './file-client-registry';

const client = (extra: Record<string, unknown>) =>
  JSON.stringify({
    clients: [{ client_id: 'c', client_name: 'C', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], scope: 'profile', redirect_uris: ['https://app.example/cb'], ...extra }],
  });

describe('FileClientRegistry: authorization endpoint metadata', () => {
  it('reads response_types, require_pkce, allow_plain_pkce and skip_consent', () => {
    const clients = FileClientRegistry.parse(client({ response_types: ['code', 'token'], require_pkce: false, allow_plain_pkce: true, skip_consent: true }));
    expect(clients.get('c')).toEqual({
      clientId: 'c',
      clientName: 'C',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
      scope: ['profile'],
      defaultScope: [],
      audience: [],
      redirectUris: ['https://app.example/cb'],
      responseTypes: ['code', 'token'],
      requirePkce: false,
      allowPlainPkce: true,
      skipConsent: true,
    });
  });

  it.each(['https://app.example/cb#fragment', 'javascript:alert(1)', 'http://app.example/cb', 'data:text/html,x'])('refuses the redirect URI %s', (uri) => {
    expect(() => FileClientRegistry.parse(client({ redirect_uris: [uri] }), 'seed')).toThrow('redirect_uri not acceptable');
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
