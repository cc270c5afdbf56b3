import { generateKeyPairSync } from 'node:crypto';
import { InvalidClientMetadata, InvalidRedirectUri, OAuthError } from '../errors';
import { clientInformationResponse, isAcceptableClientUrl, SEED_CLIENT_POLICY, validateClientMetadata } from './client-metadata';
import type { RegisteredClient } from './registered-client';

const EC_KEY = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1', alg: 'ES256', use: 'sig' };
const RSA_1024 = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) };
const WEB_APP = { redirect_uris: ['https://app.example.org/callback'], client_name: 'Web app' };

function refusal(body: unknown) {
  try {
    validateClientMetadata(body);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { type: error.constructor, status: error.status, body: error.toBody() };
  }
  throw new Error('expected the metadata to be refused');
}

const invalidMetadata = (description: string) => ({ type: InvalidClientMetadata, status: 400, body: { error: 'invalid_client_metadata', error_description: description } });
const invalidRedirect = (description: string) => ({ type: InvalidRedirectUri, status: 400, body: { error: 'invalid_redirect_uri', error_description: description } });
const BAD_REDIRECT = 'a redirect URI must be an absolute https URL (http only on a loopback host) without a fragment';

describe('validateClientMetadata (RFC 7591 §2, §3.2.2)', () => {
  describe('accepted', () => {
    it('applies the RFC 7591 defaults: client_secret_basic, authorization_code, response type code', () => {
      expect(validateClientMetadata(WEB_APP)).toStrictEqual({
        clientName: 'Web app',
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['authorization_code'],
        responseTypes: ['code'],
        scope: [],
        defaultScope: [],
        audience: [],
        redirectUris: ['https://app.example.org/callback'],
      });
    });

    it('maps every supported member onto the client model, and ignores members it does not know (RFC 7591 §2)', () => {
      expect(
        validateClientMetadata({
          client_name: 'Billing',
          redirect_uris: ['https://billing.example.org/cb?tenant=a', 'http://127.0.0.1:8400/cb'],
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'refresh_token'],
          response_types: ['code'],
          scope: 'invoices:read invoices:write',
          default_scope: 'invoices:read',
          audience: ['https://api.example.org'],
          jwks: { keys: [EC_KEY] },
          client_uri: 'https://billing.example.org',
          logo_uri: 'https://billing.example.org/logo.png',
          access_token_ttl: 600,
          refresh_token_ttl: 86_400,
          refresh_token_idle_ttl: 3600,
          require_pkce: true,
          allow_plain_pkce: false,
          skip_consent: true,
          contacts: ['ops@example.org'],
          software_id: 'billing',
          client_secret: 'chosen-by-the-client',
          client_id: 'chosen-id',
        }),
      ).toStrictEqual({
        clientName: 'Billing',
        tokenEndpointAuthMethod: 'private_key_jwt',
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        responseTypes: ['code'],
        scope: ['invoices:read', 'invoices:write'],
        defaultScope: ['invoices:read'],
        audience: ['https://api.example.org'],
        redirectUris: ['https://billing.example.org/cb?tenant=a', 'http://127.0.0.1:8400/cb'],
        accessTokenTtl: 600,
        refreshTokenTtl: 86_400,
        refreshTokenIdleTtl: 3600,
        requirePkce: true,
        allowPlainPkce: false,
        skipConsent: true,
        jwks: { keys: [EC_KEY] },
        clientUri: 'https://billing.example.org',
        logoUri: 'https://billing.example.org/logo.png',
      });
    });

    it('registers a private_key_jwt client whose keys are at a jwks_uri', () => {
      expect(validateClientMetadata({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://app.example.org/jwks.json' })).toMatchObject({
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwksUri: 'https://app.example.org/jwks.json',
      });
    });

    it('registers a client_credentials service without redirect URIs or response types', () => {
      expect(validateClientMetadata({ client_name: 'Service', grant_types: ['client_credentials'], scope: 'api:read' })).toStrictEqual({
        clientName: 'Service',
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['client_credentials'],
        responseTypes: [],
        scope: ['api:read'],
        defaultScope: [],
        audience: [],
        redirectUris: [],
      });
    });

    it('registers a public client (none) for the code flow', () => {
      expect(validateClientMetadata({ ...WEB_APP, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] })).toMatchObject({
        tokenEndpointAuthMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        responseTypes: ['code'],
      });
    });

    it.each(['https://app.example.org/cb', 'https://app.example.org:8443/a/b?c=d', 'http://127.0.0.1/cb', 'http://127.0.0.1:53100/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/callback'])(
      'accepts the redirect URI %s',
      (uri) => {
        expect(validateClientMetadata({ redirect_uris: [uri] }).redirectUris).toEqual([uri]);
      },
    );
  });

  describe('invalid_redirect_uri', () => {
    it.each([
      ['a relative URI', '/callback'],
      ['a fragment', 'https://app.example.org/cb#done'],
      ['an empty fragment', 'https://app.example.org/cb#'],
      ['http on a public host', 'http://app.example.org/cb'],
      ['http on a host that only starts like a loopback one', 'http://localhost.example.org/cb'],
      ['http on another loopback address than 127.0.0.1', 'http://127.0.0.2/cb'],
      ['a custom scheme', 'com.example.app:/callback'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/html,hi'],
      ['user information', 'https://user:pass@app.example.org/cb'],
      ['not a URI at all', 'callback please'],
      ['an empty string', ''],
      ['2001 characters', `https://app.example.org/${'a'.repeat(2001 - 'https://app.example.org/'.length)}`],
      ['an empty authority (the URL parser reads https:///cb as https://cb/)', 'https:///cb'],
      ['a single slash after the scheme', 'https:/app.example.org/cb'],
      ['a space (not a URI character, RFC 3986 section 2)', 'https://app.example.org/c b'],
      ['a non-ASCII host (an IRI, not a URI)', 'https://exämple.org/cb'],
      ['a backslash', 'https://app.example.org\\@evil.example.org/cb'],
    ])('refuses %s', (_case, uri) => {
      expect(refusal({ redirect_uris: ['https://ok.example.org/cb', uri] })).toEqual(invalidRedirect(uri.length > 2000 ? 'a redirect URI is too long' : BAD_REDIRECT));
    });

    it('requires a redirect URI for the authorization_code grant (RFC 7591 §2)', () => {
      expect(refusal({ client_name: 'x' })).toEqual(invalidRedirect('the authorization_code grant requires at least one redirect URI'));
      expect(refusal({ grant_types: ['authorization_code'], redirect_uris: [] })).toEqual(invalidRedirect('the authorization_code grant requires at least one redirect URI'));
    });
  });

  describe('invalid_client_metadata', () => {
    it.each<[string, unknown, string]>([
      ['an unknown authentication method', { ...WEB_APP, token_endpoint_auth_method: 'tls_client_auth' }, "token_endpoint_auth_method: Invalid enum value. Expected 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none', received 'tls_client_auth'"],
      ['an unknown grant type', { ...WEB_APP, grant_types: ['implicit'] }, "grant_types.0: Invalid enum value. Expected 'authorization_code' | 'refresh_token' | 'client_credentials' | 'password', received 'implicit'"],
      ['no grant type', { ...WEB_APP, grant_types: [] }, 'grant_types: Array must contain at least 1 element(s)'],
      ['grant_types not an array', { ...WEB_APP, grant_types: 'client_credentials' }, 'grant_types: Expected array, received string'],
      ['redirect_uris not an array', { redirect_uris: 'https://app.example.org/cb' }, 'redirect_uris: redirect_uris must be an array of URIs'],
      ['an unknown response type', { ...WEB_APP, response_types: ['id_token'] }, "response_types.0: Invalid enum value. Expected 'code' | 'token', received 'id_token'"],
      ['the response type token (implicit)', { ...WEB_APP, response_types: ['code', 'token'] }, 'response type token (the implicit grant) is not supported'],
      [
        'authorization_code without the response type code',
        { ...WEB_APP, grant_types: ['authorization_code'], response_types: [] },
        'grant_types and response_types are inconsistent: authorization_code goes with the response type code (RFC 7591 section 2.1)',
      ],
      [
        'the response type code without authorization_code',
        { grant_types: ['client_credentials'], response_types: ['code'] },
        'grant_types and response_types are inconsistent: authorization_code goes with the response type code (RFC 7591 section 2.1)',
      ],
      [
        'a public client with client_credentials',
        { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] },
        'a public client (token_endpoint_auth_method none) cannot use the client_credentials grant (RFC 6749 section 4.4)',
      ],
      ['private_key_jwt without keys', { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' }, 'private_key_jwt requires jwks or jwks_uri'],
      ['a jwks_uri over http on a public host', { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://app.example.org/jwks' }, 'jwks_uri: jwks_uri must be an absolute https URL (http only on a loopback host) without a fragment'],
      ['jwks and jwks_uri together', { grant_types: ['client_credentials'], jwks: { keys: [EC_KEY] }, jwks_uri: 'https://app.example.org/jwks' }, 'jwks and jwks_uri must not both be present'],
      ['a private key in jwks', { grant_types: ['client_credentials'], jwks: { keys: [{ ...EC_KEY, d: 'secret' }] } }, "jwks.keys.0: Unrecognized key(s) in object: 'd'"],
      ['a symmetric key in jwks', { grant_types: ['client_credentials'], jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, "jwks.keys.0.kty: Invalid enum value. Expected 'EC' | 'RSA' | 'OKP', received 'oct'"],
      ['an empty key set', { grant_types: ['client_credentials'], jwks: { keys: [] } }, 'jwks.keys: Array must contain at least 1 element(s)'],
      ['a malformed scope', { grant_types: ['client_credentials'], scope: 'a  b' }, 'scope: must be scope tokens separated by single spaces (RFC 6749 section 3.3)'],
      ['a scope with a quote', { grant_types: ['client_credentials'], scope: 'a "b"' }, 'scope: must be scope tokens separated by single spaces (RFC 6749 section 3.3)'],
      ['a huge scope', { grant_types: ['client_credentials'], scope: 'a'.repeat(4001) }, 'scope: String must contain at most 4000 character(s)'],
      ['a default scope outside the scope', { grant_types: ['client_credentials'], scope: 'a', default_scope: 'a b' }, 'default_scope must be a subset of scope'],
      ['an empty client name', { ...WEB_APP, client_name: '' }, 'client_name: String must contain at least 1 character(s)'],
      ['a client_uri over http', { ...WEB_APP, client_uri: 'http://app.example.org' }, 'client_uri: client_uri must be an absolute https URL (http only on a loopback host) without a fragment'],
      ['an access token lifetime too short', { ...WEB_APP, access_token_ttl: 5 }, 'access_token_ttl: Number must be greater than or equal to 30'],
      ['a boolean flag as a string', { ...WEB_APP, skip_consent: 'yes' }, 'skip_consent: Expected boolean, received string'],
      ['plain PKCE for a public client', { ...WEB_APP, token_endpoint_auth_method: 'none', allow_plain_pkce: true }, 'a public client cannot use plain PKCE'],
      ['a public client with the password grant', { grant_types: ['password'], token_endpoint_auth_method: 'none' }, 'a public client (token_endpoint_auth_method none) cannot use the password grant'],
      ['refresh_token alone', { grant_types: ['refresh_token'] }, 'the refresh_token grant needs a grant that issues refresh tokens: authorization_code or password'],
      ['refresh_token with client_credentials', { grant_types: ['client_credentials', 'refresh_token'] }, 'the refresh_token grant needs a grant that issues refresh tokens: authorization_code or password'],
      ['an EC key that is no point of its curve', { grant_types: ['client_credentials'], jwks: { keys: [{ ...EC_KEY, x: 'zz', y: 'zz' }] } }, 'jwks.keys.0: not a usable public key'],
      ['an RSA key without a modulus', { grant_types: ['client_credentials'], jwks: { keys: [{ kty: 'RSA', e: 'AQAB' }] } }, 'jwks.keys.0: not a usable public key'],
      ['a 1024-bit RSA key (RS256 and PS256 need 2048 bits)', { grant_types: ['client_credentials'], jwks: { keys: [RSA_1024] } }, 'jwks.keys.0: not a usable public key'],
    ])('refuses %s', (_case, body, description) => {
      expect(refusal(body)).toEqual(invalidMetadata(description));
    });

    it.each([
      ['an array', []],
      ['a string', 'client_name=x'],
      ['null', null],
      ['a number', 5],
    ])('refuses a body that is not a JSON object (%s)', (_case, body) => {
      expect(refusal(body)).toEqual(invalidMetadata('the request body must be a JSON object'));
    });
  });
});

describe('validateClientMetadata with SEED_CLIENT_POLICY (the seed file: what only an operator may register)', () => {
  const LEGACY = { client_name: 'Legacy', token_endpoint_auth_method: 'none', grant_types: ['implicit'], response_types: ['token'], redirect_uris: ['https://legacy.example/cb'], scope: 'profile' };

  it('accepts the legacy implicit flow: grant type implicit with response type token, implicit not a token endpoint grant', () => {
    expect(validateClientMetadata(LEGACY, SEED_CLIENT_POLICY)).toStrictEqual({
      clientName: 'Legacy',
      tokenEndpointAuthMethod: 'none',
      grantTypes: [],
      responseTypes: ['token'],
      scope: ['profile'],
      defaultScope: [],
      audience: [],
      redirectUris: ['https://legacy.example/cb'],
    });
    expect(validateClientMetadata({ ...LEGACY, response_types: undefined }, SEED_CLIENT_POLICY).responseTypes).toEqual(['token']);
  });

  it('accepts a private-use scheme redirect URI (RFC 8252 §7.1), never javascript: or data:', () => {
    expect(validateClientMetadata({ ...WEB_APP, redirect_uris: ['com.example.app:/cb'] }, SEED_CLIENT_POLICY).redirectUris).toEqual(['com.example.app:/cb']);
    expect(() => validateClientMetadata({ ...WEB_APP, redirect_uris: ['javascript:alert(1)'] }, SEED_CLIENT_POLICY)).toThrow(InvalidRedirectUri);
  });

  it('still refuses implicit and private-use schemes to a registration', () => {
    expect(refusal(LEGACY)).toEqual(invalidMetadata("grant_types.0: Invalid enum value. Expected 'authorization_code' | 'refresh_token' | 'client_credentials' | 'password', received 'implicit'"));
    expect(refusal({ ...WEB_APP, redirect_uris: ['com.example.app:/cb'] })).toEqual(invalidRedirect(BAD_REDIRECT));
  });

  it('requires the implicit grant and response type token together, and a redirect URI (RFC 7591 §2.1)', () => {
    expect(() => validateClientMetadata({ ...LEGACY, grant_types: ['authorization_code'], response_types: ['code', 'token'] }, SEED_CLIENT_POLICY)).toThrow(
      'grant_types and response_types are inconsistent: implicit goes with the response type token (RFC 7591 section 2.1)',
    );
    expect(() => validateClientMetadata({ ...LEGACY, redirect_uris: [] }, SEED_CLIENT_POLICY)).toThrow('the implicit grant requires at least one redirect URI');
  });
});

describe('isAcceptableClientUrl', () => {
  it('is false for what new URL cannot parse', () => {
    expect(isAcceptableClientUrl('https://')).toBe(false);
    expect(isAcceptableClientUrl('https://[::1')).toBe(false);
  });
});

describe('clientInformationResponse (RFC 7591 §3.2.1, RFC 7592 §3)', () => {
  const client: RegisteredClient = {
    clientId: 'c1',
    clientIdIssuedAt: 1_767_323_045,
    clientName: 'Web app',
    secretHash: `hmac-sha256:${'A'.repeat(43)}`,
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    scope: ['openid', 'reports'],
    defaultScope: ['reports'],
    audience: ['https://api.example.org'],
    redirectUris: ['https://app.example.org/callback'],
    requirePkce: true,
  };

  it('answers the registration with the secret and the registration access token, once', () => {
    expect(
      clientInformationResponse(client, { clientSecret: 'the-secret', registrationAccessToken: 'the-rat', registrationClientUri: 'https://as.example.org/register/c1' }),
    ).toStrictEqual({
      client_id: 'c1',
      client_secret: 'the-secret',
      client_id_issued_at: 1_767_323_045,
      client_secret_expires_at: 0,
      registration_access_token: 'the-rat',
      registration_client_uri: 'https://as.example.org/register/c1',
      client_name: 'Web app',
      redirect_uris: ['https://app.example.org/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'openid reports',
      default_scope: 'reports',
      audience: ['https://api.example.org'],
      require_pkce: true,
    });
  });

  it('never shows a hash, and has no client_secret_expires_at for a client without a secret', () => {
    const { secretHash: _secretHash, ...publicClient } = { ...client, tokenEndpointAuthMethod: 'none' as const };

    expect(clientInformationResponse(publicClient)).toStrictEqual({
      client_id: 'c1',
      client_id_issued_at: 1_767_323_045,
      client_name: 'Web app',
      redirect_uris: ['https://app.example.org/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'openid reports',
      default_scope: 'reports',
      audience: ['https://api.example.org'],
      require_pkce: true,
    });
    expect(JSON.stringify(clientInformationResponse(client))).not.toContain('hmac-sha256');
  });
});
