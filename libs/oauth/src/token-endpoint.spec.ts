import { type RegisteredClient } from './clients/registered-client';
import { InvalidClient, InvalidRequest, InvalidScope, OAuthError, UnauthorizedClient, UnsupportedGrantType } from './errors';
import { type AccessTokenRequest, type IssuedAccessToken, type PreparedAccessToken, type TokenIssuer } from './grants/grant-handler';
import { sha256Hash } from './hash';
import { FakeGrantServices, preparedAccessToken } from './grants/fake-grant-services.contract';
import { handleTokenRequest } from './token-endpoint';

// Client id and secret with the characters RFC 6749 §2.3.1 makes the client form-encode before base64:
// ':' (the separator), '%' (the escape), '+' (a space once decoded) and ' '.
const BASIC_ID = 'billing:svc %+1';
const BASIC_SECRET = 's3cr:t %+x';
// application/x-www-form-urlencoded of each: ':' → %3A, ' ' → +, '%' → %25, '+' → %2B.
const BASIC_ID_FORM = 'billing%3Asvc+%25%2B1';
const BASIC_SECRET_FORM = 's3cr%3At+%25%2Bx';

const basicClient: RegisteredClient = {
  clientId: BASIC_ID,
  clientName: 'Billing service',
  secretHash: sha256Hash(BASIC_SECRET),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  scope: ['invoices:read', 'invoices:write', 'reports'],
  defaultScope: ['invoices:read'],
  audience: ['https://api.example.org'],
  redirectUris: [],
};

const postClient: RegisteredClient = {
  clientId: 'reporting',
  clientName: 'Reporting job',
  secretHash: sha256Hash('reporting-secret'),
  tokenEndpointAuthMethod: 'client_secret_post',
  grantTypes: ['client_credentials'],
  scope: ['reports'],
  defaultScope: [],
  audience: ['https://api.example.org', 'https://reports.example.org'],
  redirectUris: [],
};

const publicClient: RegisteredClient = {
  clientId: 'spa',
  clientName: 'Single-page app',
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['client_credentials'],
  scope: ['reports'],
  defaultScope: ['reports'],
  audience: ['https://api.example.org'],
  redirectUris: ['https://spa.example.org/callback'],
};

const codeOnlyClient: RegisteredClient = {
  clientId: 'web-app',
  clientName: 'Web app',
  secretHash: sha256Hash('web-secret'),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['authorization_code', 'refresh_token'],
  scope: ['reports'],
  defaultScope: ['reports'],
  audience: ['https://api.example.org'],
  redirectUris: ['https://web.example.org/callback'],
};

const REGISTRY: readonly RegisteredClient[] = [basicClient, postClient, publicClient, codeOnlyClient];

const findClient = async (clientId: string): Promise<RegisteredClient | null> => REGISTRY.find((client) => client.clientId === clientId) ?? null;

const ACCESS_TOKEN = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.fixed.signature';

/** Records what the grant asks for and answers a fixed token. */
class RecordingIssuer implements TokenIssuer {
  readonly requests: AccessTokenRequest[] = [];

  async issueAccessToken(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    this.requests.push(request);
    return { accessToken: ACCESS_TOKEN, expiresIn: 300, scope: request.scopes.join(' ') };
  }

  prepareAccessToken(request: AccessTokenRequest): PreparedAccessToken {
    this.requests.push(request);
    return preparedAccessToken(request, 300, `jti-${this.requests.length}`);
  }
}

let issuer: RecordingIssuer;
beforeEach(() => {
  issuer = new RecordingIssuer();
});

function basic(encodedId: string, encodedSecret: string): string {
  return `Basic ${Buffer.from(`${encodedId}:${encodedSecret}`, 'utf8').toString('base64')}`;
}

const BASIC_AUTHORIZATION = basic(BASIC_ID_FORM, BASIC_SECRET_FORM);

function tokenRequest(body: Record<string, string>, authorizationHeader?: string) {
  return handleTokenRequest({ parameters: new Map(Object.entries(body)), authorizationHeader }, { findClient, issuer, services: new FakeGrantServices() });
}

/** Everything a client sees of an error: its class, code, HTTP status, headers and JSON body. */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { type: error.constructor, error: error.error, status: error.status, headers: error.headers, body: error.toBody() };
  }
  throw new Error('expected the token request to be refused');
}

async function expectRefused(body: Record<string, string>, authorizationHeader: string | undefined, expected: Awaited<ReturnType<typeof refusal>>) {
  expect(await refusal(tokenRequest(body, authorizationHeader))).toEqual(expected);
  expect(issuer.requests).toEqual([]);
}

const INVALID_CLIENT_BASIC_HEADERS = { 'www-authenticate': 'Basic realm="token", error="invalid_client"' };

describe('handleTokenRequest: client_credentials (RFC 6749 §4.4)', () => {
  describe('success', () => {
    it('authenticates with HTTP Basic whose id and secret were form-encoded before base64 (RFC 6749 §2.3.1)', async () => {
      expect(BASIC_AUTHORIZATION).toBe('Basic YmlsbGluZyUzQXN2YyslMjUlMkIxOnMzY3IlM0F0KyUyNSUyQng=');

      const response = await tokenRequest({ grant_type: 'client_credentials' }, BASIC_AUTHORIZATION);

      expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'invoices:read' });
      expect(issuer.requests).toEqual([
        { client: basicClient, grantType: 'client_credentials', subject: BASIC_ID, scopes: ['invoices:read'], audience: ['https://api.example.org'] },
      ]);
    });

    it('accepts the Basic scheme name in any case (RFC 7235 §2.1) and a body client_id equal to the Basic one', async () => {
      const credentials = BASIC_AUTHORIZATION.slice('Basic '.length);

      await expect(tokenRequest({ grant_type: 'client_credentials' }, `bAsIc ${credentials}`)).resolves.toStrictEqual({
        access_token: ACCESS_TOKEN,
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'invoices:read',
      });
      await expect(tokenRequest({ grant_type: 'client_credentials', client_id: BASIC_ID }, BASIC_AUTHORIZATION)).resolves.toStrictEqual({
        access_token: ACCESS_TOKEN,
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'invoices:read',
      });
      expect(issuer.requests).toHaveLength(2);
    });

    it('authenticates with client_secret_post (RFC 6749 §2.3.1) and mints for every registered audience', async () => {
      const response = await tokenRequest({ grant_type: 'client_credentials', client_id: 'reporting', client_secret: 'reporting-secret', scope: 'reports' });

      // RFC 6749 §5.1: scope omitted, identical to the request.
      expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 300 });
      expect(issuer.requests).toEqual([
        {
          client: postClient,
          grantType: 'client_credentials',
          subject: 'reporting',
          scopes: ['reports'],
          audience: ['https://api.example.org', 'https://reports.example.org'],
        },
      ]);
    });

    it('grants the default scope when none is requested (RFC 6749 §3.3)', async () => {
      const response = await tokenRequest({ grant_type: 'client_credentials' }, BASIC_AUTHORIZATION);

      expect(response.scope).toBe('invoices:read');
      expect(issuer.requests.map((request) => request.scopes)).toEqual([['invoices:read']]);
    });

    it('grants a requested subset of the allowed scope, in the order requested, duplicates dropped', async () => {
      const response = await tokenRequest({ grant_type: 'client_credentials', scope: 'reports invoices:write reports' }, BASIC_AUTHORIZATION);

      expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 300 });
      expect(issuer.requests.map((request) => request.scopes)).toEqual([['reports', 'invoices:write']]);
    });
  });

  describe('scope (RFC 6749 §3.3, §5.2 invalid_scope)', () => {
    it('refuses a scope beyond what the client may have', async () => {
      await expectRefused({ grant_type: 'client_credentials', scope: 'reports admin invoices:delete' }, BASIC_AUTHORIZATION, {
        type: InvalidScope,
        error: 'invalid_scope',
        status: 400,
        headers: {},
        body: { error: 'invalid_scope', error_description: 'the client may not request: admin invoices:delete' },
      });
    });

    it.each([
      ['a double quote', 'reports "admin"'],
      ['a backslash', 'reports\\admin'],
      ['two spaces between tokens', 'reports  invoices:read'],
      ['a leading space', ' reports'],
      ['a trailing space', 'reports '],
      ['a tab', 'reports\tinvoices:read'],
      ['a non-ASCII character', 'rapports-é'],
    ])('refuses a malformed scope (%s)', async (_case, scope) => {
      await expectRefused({ grant_type: 'client_credentials', scope }, BASIC_AUTHORIZATION, {
        type: InvalidScope,
        error: 'invalid_scope',
        status: 400,
        headers: {},
        body: { error: 'invalid_scope', error_description: 'the scope parameter is malformed' },
      });
    });

    it('refuses a request without scope when the client has no default scope', async () => {
      await expectRefused({ grant_type: 'client_credentials', client_id: 'reporting', client_secret: 'reporting-secret' }, undefined, {
        type: InvalidScope,
        error: 'invalid_scope',
        status: 400,
        headers: {},
        body: { error: 'invalid_scope', error_description: 'no scope was requested and the client has no default scope' },
      });
    });
  });

  describe('grant type', () => {
    it('refuses a request without grant_type as invalid_request', async () => {
      await expectRefused({}, BASIC_AUTHORIZATION, {
        type: InvalidRequest,
        error: 'invalid_request',
        status: 400,
        headers: {},
        body: { error: 'invalid_request', error_description: "parameter 'grant_type' is missing" },
      });
    });

    it.each(['urn:example:unknown', 'implicit', 'token', 'constructor', '__proto__', 'toString'])(
      'answers unsupported_grant_type to grant_type=%s',
      async (grantType) => {
        await expectRefused({ grant_type: grantType }, BASIC_AUTHORIZATION, {
          type: UnsupportedGrantType,
          error: 'unsupported_grant_type',
          status: 400,
          headers: {},
          body: { error: 'unsupported_grant_type', error_description: `grant_type '${grantType}' is not supported` },
        });
      },
    );

    it('answers unauthorized_client to a client not registered for the grant', async () => {
      await expectRefused({ grant_type: 'client_credentials' }, basic('web-app', 'web-secret'), {
        type: UnauthorizedClient,
        error: 'unauthorized_client',
        status: 400,
        headers: {},
        body: { error: 'unauthorized_client', error_description: 'the client is not registered for the client_credentials grant' },
      });
    });

    it('answers unauthorized_client to a public client, even one registered for client_credentials (RFC 6749 §4.4)', async () => {
      await expectRefused({ grant_type: 'client_credentials', client_id: 'spa' }, undefined, {
        type: UnauthorizedClient,
        error: 'unauthorized_client',
        status: 400,
        headers: {},
        body: { error: 'unauthorized_client', error_description: 'the client_credentials grant is for confidential clients only' },
      });
    });
  });

  describe('client authentication (RFC 6749 §2.3, §5.2 invalid_client)', () => {
    it('answers 401 with a Basic challenge to a wrong secret sent with HTTP Basic', async () => {
      await expectRefused({ grant_type: 'client_credentials' }, basic(BASIC_ID_FORM, 'wrong'), {
        type: InvalidClient,
        error: 'invalid_client',
        status: 401,
        headers: INVALID_CLIENT_BASIC_HEADERS,
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
    });

    it('refuses a Basic secret that was not form-encoded: its "+" decodes to a space', async () => {
      await expectRefused({ grant_type: 'client_credentials' }, basic(BASIC_ID_FORM, 's3cr%3At %25+x'), {
        type: InvalidClient,
        error: 'invalid_client',
        status: 401,
        headers: INVALID_CLIENT_BASIC_HEADERS,
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
    });

    it('answers 400 without a challenge to a wrong client_secret in the body', async () => {
      await expectRefused({ grant_type: 'client_credentials', client_id: 'reporting', client_secret: 'reporting-secret ', scope: 'reports' }, undefined, {
        type: InvalidClient,
        error: 'invalid_client',
        status: 400,
        headers: {},
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
    });

    it('refuses an unknown client with the same answer as a wrong secret', async () => {
      await expectRefused({ grant_type: 'client_credentials' }, basic('nobody', 'secret'), {
        type: InvalidClient,
        error: 'invalid_client',
        status: 401,
        headers: INVALID_CLIENT_BASIC_HEADERS,
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
      await expectRefused({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'secret' }, undefined, {
        type: InvalidClient,
        error: 'invalid_client',
        status: 400,
        headers: {},
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
    });

    it('refuses a client that authenticates with another method than the one it registered, with the same answer as an unknown client', async () => {
      await expectRefused({ grant_type: 'client_credentials', client_id: BASIC_ID, client_secret: BASIC_SECRET }, undefined, {
        type: InvalidClient,
        error: 'invalid_client',
        status: 400,
        headers: {},
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
      await expectRefused({ grant_type: 'client_credentials' }, basic('reporting', 'reporting-secret'), {
        type: InvalidClient,
        error: 'invalid_client',
        status: 401,
        headers: INVALID_CLIENT_BASIC_HEADERS,
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
      await expectRefused({ grant_type: 'client_credentials', client_id: 'reporting' }, undefined, {
        type: InvalidClient,
        error: 'invalid_client',
        status: 400,
        headers: {},
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
    });

    it('refuses two authentication methods at once (Basic and client_secret in the body) as invalid_request', async () => {
      await expectRefused({ grant_type: 'client_credentials', client_secret: BASIC_SECRET }, BASIC_AUTHORIZATION, {
        type: InvalidRequest,
        error: 'invalid_request',
        status: 400,
        headers: {},
        body: { error: 'invalid_request', error_description: 'more than one client authentication method was used' },
      });
    });

    it('refuses a body client_id that differs from the Basic one as invalid_request', async () => {
      await expectRefused({ grant_type: 'client_credentials', client_id: 'reporting' }, BASIC_AUTHORIZATION, {
        type: InvalidRequest,
        error: 'invalid_request',
        status: 400,
        headers: {},
        body: { error: 'invalid_request', error_description: 'client_id does not match the Authorization header' },
      });
    });

    it.each([
      ['credentials that are not base64', 'Basic not*base64!'],
      ['credentials without a colon', `Basic ${Buffer.from('billing').toString('base64')}`],
      ['an empty client id', `Basic ${Buffer.from(':secret').toString('base64')}`],
      ['a broken percent-encoding', `Basic ${Buffer.from('billing:%zz').toString('base64')}`],
      ['no credentials', 'Basic'],
      ['another scheme', 'Bearer eyJhbGciOiJub25lIn0.e30.'],
      ['an empty header', ''],
    ])('answers 401 invalid_client to a malformed Basic header (%s)', async (_case, header) => {
      await expectRefused({ grant_type: 'client_credentials' }, header, {
        type: InvalidClient,
        error: 'invalid_client',
        status: 401,
        headers: INVALID_CLIENT_BASIC_HEADERS,
        body: { error: 'invalid_client', error_description: 'malformed Basic credentials' },
      });
    });

    it('answers 400 invalid_client to a request without any client authentication', async () => {
      await expectRefused({ grant_type: 'client_credentials', scope: 'reports' }, undefined, {
        type: InvalidClient,
        error: 'invalid_client',
        status: 400,
        headers: {},
        body: { error: 'invalid_client', error_description: 'client authentication is required' },
      });
    });

    it('authenticates the client before looking at the grant type', async () => {
      await expectRefused({ grant_type: 'urn:example:unknown' }, basic(BASIC_ID_FORM, 'wrong'), {
        type: InvalidClient,
        error: 'invalid_client',
        status: 401,
        headers: INVALID_CLIENT_BASIC_HEADERS,
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
    });
  });
});
