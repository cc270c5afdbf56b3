import type { RegisteredClient } from '../clients/registered-client';
import { sha256Hash } from '../hash';
import { ACCESS_TOKEN, basic, refusal, tokenRequester } from './fake-grant-services.contract';

const service: RegisteredClient = {
  clientId: 'reporting',
  clientName: 'Reporting job',
  secretHash: sha256Hash('reporting-secret'),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  scope: ['reports', 'invoices:read'],
  defaultScope: ['reports'],
  audience: ['https://api.example.org', 'https://reports.example.org'],
  redirectUris: [],
};
const REPORTING = basic('reporting', 'reporting-secret');

describe('client_credentials grant: RFC 8707 resource and the RFC 6749 §5.1 scope rule', () => {
  it('narrows the audience to the requested resources, and omits the scope that was requested', async () => {
    const { request, issuer } = tokenRequester([service]);

    const response = await request({ grant_type: 'client_credentials', scope: 'reports', resource: 'https://reports.example.org' }, REPORTING);

    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600 });
    expect(issuer.requests).toEqual([{ client: service, grantType: 'client_credentials', subject: 'reporting', scopes: ['reports'], audience: ['https://reports.example.org'] }]);
  });

  it('accepts several resources (the parameter repeated) and returns the default scope it granted', async () => {
    const { request, issuer } = tokenRequester([service]);

    const response = await request({ grant_type: 'client_credentials', resource: 'https://api.example.org https://reports.example.org' }, REPORTING);

    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, scope: 'reports' });
    expect(issuer.requests[0]!.audience).toEqual(['https://api.example.org', 'https://reports.example.org']);
  });

  it.each([
    ['not absolute', '/api', 'a resource must be an absolute URI without a fragment'],
    ['with a fragment', 'https://api.example.org#part', 'a resource must be an absolute URI without a fragment'],
    ['not one of the client', 'https://elsewhere.example.org', 'the client may not obtain a token for: https://elsewhere.example.org'],
  ])('answers invalid_target to a resource %s', async (_case, resource, description) => {
    const { request, issuer } = tokenRequester([service]);

    expect(await refusal(request({ grant_type: 'client_credentials', resource }, REPORTING))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_target', error_description: description },
    });
    expect(issuer.requests).toEqual([]);
  });
});
