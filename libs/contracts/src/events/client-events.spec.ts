import { createEnvelope, EventValidationError } from '../envelope';
import type { DomainEvent, EventOf } from './registry';

const META = { source: 'authz/token', id: 'evt-1', time: new Date('2026-01-02T03:04:05Z') };

const registered: EventOf<'oauth.client.registered.v1'> = {
  type: 'oauth.client.registered.v1',
  subject: 'billing',
  data: {
    clientId: 'billing',
    revision: 1,
    clientIdIssuedAt: 1_767_323_045,
    registrationAccessTokenHash: `hmac-sha256:${'R'.repeat(43)}`,
    client: {
      clientName: 'Billing',
      secretHash: `hmac-sha256:${'S'.repeat(43)}`,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      responseTypes: [],
      scope: ['invoices:read'],
      defaultScope: [],
      audience: ['https://api.example.org'],
      redirectUris: [],
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] },
    },
  },
};

function refusal(event: unknown): string {
  try {
    createEnvelope(event as DomainEvent, META);
  } catch (error) {
    if (error instanceof EventValidationError) return error.message;
    throw error;
  }
  throw new Error('expected an EventValidationError');
}

describe('client events', () => {
  it('wrap a registration with hashes only', () => {
    expect(createEnvelope(registered, META)).toStrictEqual({
      specversion: '1.0',
      id: 'evt-1',
      source: 'authz/token',
      type: 'oauth.client.registered.v1',
      time: '2026-01-02T03:04:05.000Z',
      subject: 'billing',
      datacontenttype: 'application/json',
      data: registered.data,
    });
  });

  it('accept the seed file\'s unkeyed sha256: form, and a deletion', () => {
    const seedHash = { ...registered, data: { ...registered.data, client: { ...registered.data.client, secretHash: `sha256:${'A'.repeat(43)}` } } };

    expect(createEnvelope(seedHash, META).data).toEqual(seedHash.data);
    expect(createEnvelope({ type: 'oauth.client.deleted.v1', subject: 'billing', data: { clientId: 'billing', revision: 2, deletedAt: 1_767_323_100 } }, META).data).toEqual({
      clientId: 'billing',
      revision: 2,
      deletedAt: 1_767_323_100,
    });
  });

  it.each([
    ['a secret value instead of its hash', { secretHash: 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU' }, 'client.secretHash: expected hmac-sha256:<base64url digest> or sha256:<base64url digest>'],
    ['the secret itself as an extra member', { clientSecret: 's3cret' }, "client: Unrecognized key(s) in object: 'clientSecret'"],
    ['a private key member in jwks', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private' }] } }, "client.jwks.keys.0: Unrecognized key(s) in object: 'd'"],
    ['a symmetric key in jwks', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, "client.jwks.keys.0.kty: Invalid enum value. Expected 'EC' | 'RSA' | 'OKP', received 'oct'; client.jwks.keys.0: Unrecognized key(s) in object: 'k'"],
    ['an unknown authentication method', { tokenEndpointAuthMethod: 'tls_client_auth' }, "client.tokenEndpointAuthMethod: Invalid enum value. Expected 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none', received 'tls_client_auth'"],
  ])('refuse %s', (_case, change, message) => {
    const event = { ...registered, data: { ...registered.data, client: { ...registered.data.client, ...change } } };

    expect(refusal(event)).toBe(`invalid oauth.client.registered.v1: ${message}`);
  });

  it('refuse a registration access token value instead of its hash, and revision 0', () => {
    expect(refusal({ ...registered, data: { ...registered.data, registrationAccessTokenHash: 'the-token' } })).toBe(
      'invalid oauth.client.registered.v1: registrationAccessTokenHash: expected hmac-sha256:<base64url digest> or sha256:<base64url digest>',
    );
    expect(refusal({ ...registered, type: 'oauth.client.updated.v1', data: { ...registered.data, revision: 0 } })).toBe(
      'invalid oauth.client.updated.v1: revision: Number must be greater than 0',
    );
  });
});
